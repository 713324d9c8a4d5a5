#pragma once
// A service account key file ({"type":"service_account", "client_email",
// "private_key_id", "private_key", "token_uri", …}): each fetch signs a JWT
// (RS256, header kid = private_key_id; claims iss, scope, aud = token_uri,
// iat, exp = iat + 1 h) and trades it at token_uri with the JWT-bearer grant
// (RFC 7523 §2.1).
#include <memory>
#include <string>
#include <string_view>

#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_source.hpp"

namespace firewarden::credentials {

inline constexpr std::string_view default_oauth_token_uri = "https://oauth2.googleapis.com/token";

struct ServiceAccountKeyFile {
  std::string client_email;
  std::string private_key_id;
  std::string private_key;  // PEM (PKCS#8)
  std::string token_uri{default_oauth_token_uri};
};

// Throws CredentialsConfigError (never quoting the key).
ServiceAccountKeyFile parse_service_account_key_file(std::string_view json_text);

// Loads the private key now: throws CredentialsConfigError when it is unusable.
std::unique_ptr<TokenSource> make_service_account_key_source(const ServiceAccountKeyFile& file,
                                                             const Settings& settings,
                                                             SourceContext context);

}  // namespace firewarden::credentials
