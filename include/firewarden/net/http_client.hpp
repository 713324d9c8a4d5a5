#pragma once
// A small one-shot HTTP/1.1 client for the few outbound requests firewarden
// makes besides proxying: token exchanges (STS, IAM Credentials, OAuth 2.0,
// the metadata server) and credential_source URLs. One connection per call,
// http:// and https:// (peer verified against the system trust store or a
// given CA file, with SNI and host name check), a connect timeout, a total
// deadline and a cap on the response size. Network failures are values.
//
// Error messages name the method and the URL without its query, never
// headers or bodies: those carry tokens.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace firewarden::http_client {

struct Url {
  bool tls = false;    // https
  std::string host;    // IPv6 literals without brackets
  std::string port;    // "80" / "443" when the URL names none
  std::string target;  // path and query, at least "/"
  // host[:port] as it goes into the Host header (port only when not default).
  std::string host_header() const;
  // scheme://host[:port]/path, without the query: safe to put in messages.
  std::string without_query() const;
};

// http:// and https:// URLs only; no userinfo, no fragment.
std::optional<Url> parse_url(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;  // Host, Content-Length and User-Agent are set by the client
  std::string body;
};

struct Response {
  unsigned status = 0;
  Headers headers;
  std::string body;
  // The first value of a header (name compared case-insensitively), or "".
  std::string header(std::string_view name) const;
};

struct Options {
  std::chrono::milliseconds connect_timeout{5000};  // resolve + connect (+ TLS handshake)
  std::chrono::milliseconds total_timeout{30000};   // the whole exchange
  std::size_t max_response_bytes = 1024 * 1024;     // body limit
  // For https: the client context to use. Null: one verifying against the
  // system trust store is made for the call (slower; pass one when calling
  // repeatedly).
  std::shared_ptr<boost::asio::ssl::context> tls_context;
};

struct Error {
  std::string message;  // e.g. "POST https://sts.googleapis.com/v1/token: connect: timed out"
};

using Result = std::variant<Response, Error>;

// A TLS 1.2+ client context that verifies peers against `ca_file`, or against
// the system trust store when it is empty. Throws std::runtime_error when the
// file cannot be loaded (a start-up error).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& ca_file = "");

// Sends one request on a new connection, on the calling coroutine's executor,
// and reads the whole response. Honours per-operation cancellation.
boost::asio::awaitable<Result> fetch(Request request, Options options = {});

}  // namespace firewarden::http_client
