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

std::vector<std::string> base_scopes(const Settings& settings) {
  auto scopes = settings.scopes;
  if (settings.type != CredentialType::external_account &&
      settings.type != CredentialType::service_account_key) {
    return scopes;
  }
  for (const auto& scope : scopes) {
    if (scope == "https://www.googleapis.com/auth/cloud-platform" ||
        scope == "https://www.googleapis.com/auth/iam") {
      return scopes;
    }
  }
  scopes.emplace_back("https://www.googleapis.com/auth/cloud-platform");
  return scopes;
}

std::string credential_file(const Settings& settings) {
  if (!settings.file.empty()) return settings.file;
  const char* from_environment = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
  return from_environment != nullptr ? from_environment : "";
}

}  // namespace firewarden::credentials
