#pragma once
// Where the proxy gets the Google access token it puts on each upstream
// request. Implementations: static/none (emulator), and the token broker
// (external_account, metadata, service_account_key, with impersonation).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace firewarden::credentials {

struct AccessToken {
  std::string value;  // empty: send no Authorization header (type none)
  std::chrono::system_clock::time_point expires_at;
};

struct TokenError {
  // Names the credential type, audience/principal and the token endpoint's
  // HTTP status and error — never a token or key.
  std::string message;
};

using TokenResult = std::variant<AccessToken, TokenError>;

struct TokenStatus {
  std::string principal;  // "default" for the base credential, else the SA email
  std::optional<std::chrono::system_clock::time_point> expires_at;
  std::string last_error;  // empty when the last refresh succeeded
};

class TokenProvider {
 public:
  virtual ~TokenProvider() = default;

  // A token valid for at least min_validity. `principal` empty: the base
  // credential; otherwise the Google service account to impersonate.
  // Never performs an exchange when a cached token is fresh enough.
  virtual boost::asio::awaitable<TokenResult> token(const std::string& principal) = 0;

  // For /readyz: a usable token is held for the base credential (or none is
  // needed).
  virtual bool ready() const = 0;
  virtual std::vector<TokenStatus> status() const = 0;

  // Ends background refreshes so the io_context can run dry on shutdown;
  // token() answers with a TokenError afterwards. Safe to call twice.
  virtual void stop() {}
};

}  // namespace firewarden::credentials
