#pragma once
// What the token broker needs to know (SPEC §2 `credentials`), independent of
// the config file: the app maps the validated Config onto this struct, tests
// build it directly and point the endpoints at a local fake.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace firewarden::credentials {

enum class CredentialType { external_account, metadata, service_account_key, static_token, none };

// "external_account", "metadata", "service_account_key", "static", "none".
std::optional<CredentialType> parse_credential_type(std::string_view name);
std::string_view to_string(CredentialType type);

struct Settings {
  CredentialType type = CredentialType::none;
  // external_account / service_account_key: the credential file. Empty:
  // $GOOGLE_APPLICATION_CREDENTIALS.
  std::string file;
  // static only (e.g. "owner" for the Firestore emulator).
  std::string token;
  std::vector<std::string> scopes{"https://www.googleapis.com/auth/datastore"};
  // Lifetime asked of generateAccessToken for per-namespace impersonation
  // (and for the credential file's own impersonation, unless the file sets
  // service_account_impersonation.token_lifetime_seconds).
  std::chrono::seconds token_lifetime{3600};
  // Refresh this long before expiry.
  std::chrono::milliseconds refresh_margin{std::chrono::minutes(5)};
  // Never hand out a token that expires sooner than this.
  std::chrono::milliseconds min_validity{std::chrono::seconds(60)};

  // Retry after a failed refresh: exponential from backoff_initial up to
  // backoff_max, each delay jittered to [d/2, d].
  std::chrono::milliseconds backoff_initial{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(60)};

  // Outbound requests to token endpoints.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::string ca_file;  // https token endpoints; empty: the system trust store

  // Endpoint overrides (tests). Empty: Google's.
  // Base URL of IAM Credentials for per-namespace impersonation:
  // BASE/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken.
  std::string iam_credentials_endpoint;  // default https://iamcredentials.googleapis.com
  // host[:port] of the metadata server. Empty: $GCE_METADATA_HOST, else
  // 169.254.169.254 (as Google's Go and Node.js libraries do: no DNS needed).
  std::string metadata_host;
};

inline constexpr std::string_view default_iam_credentials_endpoint =
    "https://iamcredentials.googleapis.com";
inline constexpr std::string_view default_metadata_host = "169.254.169.254";

// A credential file or setting that cannot work (start-up error). The
// message names the file and the problem, never its secrets.
class CredentialsConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view cloud_platform_scope =
    "https://www.googleapis.com/auth/cloud-platform";
inline constexpr std::string_view iam_scope = "https://www.googleapis.com/auth/iam";

// Every token sent to Firestore carries exactly `scopes`: a leaked token is
// good for nothing more. Per-namespace impersonation calls IAM Credentials
// generateAccessToken, which refuses a token without the cloud-platform (or
// iam) scope, so that call gets a token of its own: the same credential asked
// for cloud-platform only, as google-auth-library's Impersonated credentials
// require of their source. These are its settings, or nullopt when `scopes`
// already hold one of those scopes (the Firestore token can make the call).
std::optional<Settings> iam_caller_settings(const Settings& settings);

// The credential file the settings name: `file`, else
// $GOOGLE_APPLICATION_CREDENTIALS, else "".
std::string credential_file(const Settings& settings);

}  // namespace firewarden::credentials
