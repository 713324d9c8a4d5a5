#include "firewarden/credentials/settings.hpp"

#include <cstdlib>
#include <string>
#include <vector>

namespace firewarden::credentials {

std::optional<CredentialType> parse_credential_type(std::string_view name) {
  if (name == "external_account") return CredentialType::external_account;
  if (name == "metadata") return CredentialType::metadata;
  if (name == "service_account_key") return CredentialType::service_account_key;
  if (name == "static") return CredentialType::static_token;
  if (name == "none") return CredentialType::none;
  return std::nullopt;
}

std::string_view to_string(CredentialType type) {
  switch (type) {
    case CredentialType::external_account:
      return "external_account";
    case CredentialType::metadata:
      return "metadata";
    case CredentialType::service_account_key:
      return "service_account_key";
    case CredentialType::static_token:
      return "static";
    case CredentialType::none:
      return "none";
  }
  return "none";
}

std::optional<Settings> iam_caller_settings(const Settings& settings) {
  for (const auto& scope : settings.scopes) {
    if (scope == cloud_platform_scope || scope == iam_scope) return std::nullopt;
  }
  Settings caller = settings;
  caller.scopes = {std::string(cloud_platform_scope)};
  return caller;
}

std::string credential_file(const Settings& settings) {
  if (!settings.file.empty()) return settings.file;
  const char* from_environment = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
  return from_environment != nullptr ? from_environment : "";
}

}  // namespace firewarden::credentials
