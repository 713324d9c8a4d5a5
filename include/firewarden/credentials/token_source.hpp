#pragma once
// One way of obtaining a Google access token (external_account, metadata,
// service_account_key). A source performs one exchange per fetch(); caching,
// refresh and single-flight are the broker's job.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "firewarden/credentials/clock.hpp"
#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/net/http_client.hpp"
#include "firewarden/text/expected.hpp"

namespace firewarden::credentials {

// What every source needs from around it.
struct SourceContext {
  http_client::Options http;     // timeouts, TLS context, response cap
  std::shared_ptr<Clock> clock;  // turns expires_in into expires_at
};

// One step of an exchange (a token endpoint's answer, a subject token): the
// token it gave, or what went wrong there. The source adds its own name when
// it turns a failed step into a TokenError.
using StepResult = text::Expected<AccessToken, std::string>;

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // One exchange. Errors name the credential type, the audience or account,
  // the endpoint and its HTTP status and error — never a token or key.
  virtual boost::asio::awaitable<TokenResult> fetch() = 0;
  // e.g. "external_account (audience //iam.googleapis.com/projects/…)".
  virtual std::string description() const = 0;
};

}  // namespace firewarden::credentials
