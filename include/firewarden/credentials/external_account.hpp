#pragma once
// Workload identity federation: Google's external_account credential
// configuration (what `gcloud iam workload-identity-pools create-cred-config`
// writes). Each fetch reads the subject token (credential_source.file, re-read
// every time since kubelet rotates projected tokens, or credential_source.url),
// exchanges it at the STS token_url (RFC 8693 token exchange), and, when
// service_account_impersonation_url is set, exchanges the federated token for
// a service account's token with generateAccessToken.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_source.hpp"
#include "firewarden/net/http_client.hpp"

namespace firewarden::credentials {

inline constexpr std::string_view default_sts_token_url = "https://sts.googleapis.com/v1/token";

struct ExternalAccountFile {
  std::string audience;
  std::string subject_token_type;
  std::string token_url{default_sts_token_url};
  std::string service_account_impersonation_url;  // empty: use the federated token itself
  std::optional<std::chrono::seconds>
      token_lifetime;  // service_account_impersonation.token_lifetime_seconds
  std::string workforce_pool_user_project;
  std::string client_id;  // with client_secret: HTTP Basic client authentication at STS
  std::string client_secret;

  // credential_source: exactly one of file and url.
  std::string source_file;
  std::string source_url;
  http_client::Headers source_headers;
  std::string format_type = "text";      // "text" | "json"
  std::string subject_token_field_name;  // format json
};

// Parses and checks the file's JSON. Throws CredentialsConfigError naming the
// problem (aws and executable sources are refused as unsupported).
ExternalAccountFile parse_external_account_file(std::string_view json_text);

std::unique_ptr<TokenSource> make_external_account_source(ExternalAccountFile file,
                                                          const Settings& settings,
                                                          SourceContext context);

}  // namespace firewarden::credentials
