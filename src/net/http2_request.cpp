// Reading a REST request off an HTTP/2 stream: its head from the header
// fields, its body from DATA, both checked as RFC 9113 says a server must.
#include "firewarden/net/http2_request.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <iterator>
#include <optional>
#include <string>

#include "firewarden/text/ascii.hpp"

namespace firewarden::transport {

namespace {

// DATA asked of the stream per read: what its window gets back at a time.
constexpr std::size_t kBodyReadBytes = 16 * 1024;

UnreadableRequest malformed(std::string reason) {
  return UnreadableRequest{http::error::bad_field, 400, "malformed HTTP/2 request: " + reason};
}

// nghttp2 refuses these already (RFC 9113 §8.2.1); checked again because
// the values are written into an HTTP/1.1 request upstream, where a CR, LF
// or NUL would split it.
bool is_safe_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The method and target go into the request line upstream: a method must
// be a token (RFC 9110 §9.1), a target free of spaces and control bytes
// (RFC 9112 §3.2), whatever nghttp2 let through.
bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
           kSymbols.find(ch) != std::string_view::npos;
  });
}

bool is_request_target(std::string_view text) {
  return !text.empty() && std::none_of(text.begin(), text.end(), [](char ch) {
    const auto byte = static_cast<unsigned char>(ch);
    return byte <= 0x20 || byte == 0x7f;
  });
}

// The request head from the stream's header fields, or why there is none.
std::variant<Request, UnreadableRequest> request_head(const HeaderList& fields) {
  Request request;
  request.version(11);
  std::optional<std::string_view> method, path, authority;
  for (const auto& [name, value] : fields) {
    if (!is_safe_value(value)) return malformed("a field value holds CR, LF or NUL");
    if (is_connection_specific(name, value)) {
      return malformed("connection-specific field " + name);  // RFC 9113 §8.2.2
    }
    if (name == ":method") {
      method = value;
    } else if (name == ":path") {
      path = value;
    } else if (name == ":authority") {
      authority = value;
    } else if (name == ":scheme") {
      continue;
    } else if (name.starts_with(':')) {
      return malformed("pseudo-header field " + name);
    } else {
      request.insert(name, value);
    }
  }
  if (!method || !path) return malformed("no :method or :path");  // RFC 9113 §8.3.1
  if (!is_token(*method)) return malformed(":method is not a token");
  if (!is_request_target(*path)) return malformed(":path holds a space or control byte");
  request.method_string(*method);
  request.target(*path);
  // :authority stands for Host (RFC 9113 §8.3.1); a Host field beside it
  // must name the same.
  const auto hosts = request.equal_range(http::field::host);
  if (hosts.first != hosts.second && std::next(hosts.first) != hosts.second) {
    return malformed("more than one host field");
  }
  if (authority) {
    const auto host = request.find(http::field::host);
    if (host != request.end() && host->value() != *authority) {
      return malformed("host differs from :authority");
    }
    if (host == request.end()) request.set(http::field::host, *authority);
  }
  return request;
}

// The one Content-Length value as a number; nullopt when absent; a value
// that is not one decimal number is refused by the caller.
std::optional<std::uint64_t> declared_length(const Request& request, bool& malformed_length) {
  malformed_length = false;
  const auto lengths = request.equal_range(http::field::content_length);
  if (lengths.first == lengths.second) return std::nullopt;
  const std::string_view value = lengths.first->value();
  std::uint64_t length = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (std::next(lengths.first) != lengths.second || value.empty() || error != std::errc() ||
      end != value.data() + value.size()) {
    malformed_length = true;
    return std::nullopt;
  }
  return length;
}

}  // namespace

bool is_connection_specific(std::string_view name, std::string_view value) {
  static constexpr std::array<std::string_view, 5> kNames{
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};
  for (const auto forbidden : kNames) {
    if (text::iequals(name, forbidden)) return true;
  }
  return text::iequals(name, "te") && !text::iequals(value, "trailers");
}

net::awaitable<Http2RequestRead> read_http2_request(Http2Stream& stream,
                                                    std::uint64_t max_body_bytes) {
  auto head = request_head(stream.headers());
  if (auto* refused = std::get_if<UnreadableRequest>(&head)) co_return std::move(*refused);
  Request request = std::get<Request>(std::move(head));
  bool malformed_length = false;
  const auto length = declared_length(request, malformed_length);
  if (malformed_length) co_return malformed("Content-Length is not one decimal number");
  if (length && *length > max_body_bytes) {
    // Refused before the body is read, as over HTTP/1.1.
    co_return UnreadableRequest{http::error::body_limit, 413,
                                "request body exceeds the size limit"};
  }
  std::string body;
  for (;;) {
    auto read = co_await stream.read(kBodyReadBytes);
    if (read.error) co_return Http2StreamLost{read.error};
    if (body.size() + read.data.size() > max_body_bytes) {
      co_return UnreadableRequest{http::error::body_limit, 413,
                                  "request body exceeds the size limit"};
    }
    body += read.data;
    if (read.end) break;
  }
  // RFC 9113 §8.1.1: a Content-Length the DATA does not match makes the
  // request malformed; it is never forwarded.
  if (length && *length != body.size()) {
    co_return malformed("Content-Length does not match the DATA received");
  }
  // Trailer fields would pass for headers once merged; Firestore clients
  // send none over REST (as over HTTP/1.1: refused).
  if (!stream.trailers().empty()) co_return malformed("trailer fields");
  request.body() = std::move(body);
  co_return request;
}

}  // namespace firewarden::transport
