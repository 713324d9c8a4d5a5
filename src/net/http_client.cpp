#include "firewarden/net/http_client.hpp"

#include <algorithm>
#include <cctype>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_connect.hpp"
#include "firewarden/net/deadline.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::http_client {
namespace {

using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

using text::iequals;

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return false;
  }
  const int value = std::stoi(std::string(port));
  return value > 0 && value <= 65535;
}

std::string describe_error(const boost::system::error_code& ec) {
  if (ec == net::error::timed_out) return "timed out";
  return ec.message();
}

// ": connect: timed out", as the messages said before the connect path
// moved to net/client_connect.
std::string describe(const transport::ConnectError& failure, const std::string& host) {
  using Step = transport::ConnectError::Step;
  const std::string reason = failure.timed_out ? "timed out" : describe_error(failure.error);
  switch (failure.step) {
    case Step::resolve:
      return ": resolve " + host + ": " + reason;
    case Step::connect:
      return ": connect: " + reason;
    case Step::server_name:
      return ": cannot set TLS server name";
    case Step::handshake:
      return ": TLS handshake: " + reason;
  }
  return ": connect: " + reason;
}

// Writes the request and reads the whole response; `timer` closes the
// socket if the exchange's deadline passes first.
template <typename Stream>
net::awaitable<Result> exchange_messages(Stream& stream, const Request& request, const Url& url,
                                         const Options& options, const transport::Deadline& timer,
                                         const std::string& where) {
  const auto reason = [&timer](const boost::system::error_code& error) {
    return timer.expired() ? std::string("timed out") : describe_error(error);
  };
  http::request<http::string_body> message;
  const auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) co_return Error{where + ": unknown method"};
  message.method(verb);
  message.target(url.target);
  message.version(11);
  message.set(http::field::host, url.host_header());
  message.set(http::field::user_agent, "firewarden");
  message.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  message.body() = request.body;
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put ||
      verb == http::verb::patch) {
    message.prepare_payload();
  }

  auto [write_error, written] =
      co_await http::async_write(stream, message, net::as_tuple(net::use_awaitable));
  if (write_error) co_return Error{where + ": send: " + reason(write_error)};

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(options.max_response_bytes);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
  if (read_error == http::error::body_limit) {
    co_return Error{where + ": response larger than " + std::to_string(options.max_response_bytes) +
                    " bytes"};
  }
  if (read_error) co_return Error{where + ": receive: " + reason(read_error)};

  auto& answer = parser.get();
  Response response;
  response.status = answer.result_int();
  for (const auto& field : answer) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(answer.body());
  co_return response;
}

// Sends the request and reads the response on a connected (and, for https,
// handshaken) stream, all before `deadline`, then closes the connection.
template <typename Stream>
net::awaitable<Result> exchange(Stream& stream, const Request& request, const Url& url,
                                const Options& options, steady::time_point deadline,
                                const std::string& where) {
  auto& socket = stream.lowest_layer();
  transport::Deadline timer(co_await net::this_coro::executor, [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  timer.expires_at(deadline);
  auto result = co_await exchange_messages(stream, request, url, options, timer, where);
  // The response is complete (Connection: close); a TLS close_notify would
  // only add a round trip, so the connection is simply closed.
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  co_return result;
}

}  // namespace

std::string Url::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != (tls ? "443" : "80")) out += ":" + port;
  return out;
}

std::string Url::without_query() const {
  const auto query = target.find('?');
  return (tls ? "https://" : "http://") + host_header() + target.substr(0, query);
}

std::optional<Url> parse_url(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto scheme = text.substr(0, scheme_end);
  if (iequals(scheme, "https")) {
    url.tls = true;
  } else if (!iequals(scheme, "http")) {
    return std::nullopt;
  }
  text.remove_prefix(scheme_end + 3);
  if (text.find('#') != std::string_view::npos) return std::nullopt;
  const auto authority_end = text.find_first_of("/?");
  const auto authority = text.substr(0, authority_end);
  url.target =
      authority_end == std::string_view::npos ? "/" : std::string(text.substr(authority_end));
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (!valid_port(port)) return std::nullopt;
    }
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (!valid_port(port)) return std::nullopt;
    }
  }
  if (host.empty()) return std::nullopt;
  for (const char c : url.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return url;
}

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return "";
}

std::shared_ptr<ssl::context> make_tls_context(const std::string& ca_file) {
  return transport::make_client_tls_context(ca_file);
}

net::awaitable<Result> fetch(Request request, Options options) {
  const auto url = parse_url(request.url);
  if (!url) co_return Error{request.method + " <invalid URL>: not an http:// or https:// URL"};
  const std::string where = request.method + " " + url->without_query();

  auto executor = co_await net::this_coro::executor;
  const auto deadline = steady::now() + options.total_timeout;
  auto context = url->tls && !options.tls_context ? make_tls_context() : options.tls_context;
  auto connected = co_await transport::async_connect(
      executor, url->host, url->port, url->tls ? context.get() : nullptr,
      std::min<steady::duration>(options.connect_timeout, options.total_timeout));
  if (const auto* failure = std::get_if<transport::ConnectError>(&connected)) {
    co_return Error{where + describe(*failure, url->host)};
  }
  auto& stream = std::get<transport::OutboundStream>(connected);
  co_return co_await std::visit(
      [&](auto& s) { return exchange(s, request, *url, options, deadline, where); }, stream);
}

}  // namespace firewarden::http_client
