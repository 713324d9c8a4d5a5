#include "firewarden/net/http_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <cctype>
#include <stdexcept>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/deadline.hpp"

namespace firewarden::http_client {
namespace {

using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

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
  if (ec == beast::error::timeout || ec == net::error::timed_out) return "timed out";
  return ec.message();
}

// Sends the request and reads the response on a connected (and, for https,
// handshaken) stream. The stream's lowest layer carries the deadline.
template <typename Stream>
net::awaitable<Result> exchange(Stream& stream, const Request& request, const Url& url,
                                const Options& options, steady::time_point deadline,
                                const std::string& where) {
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

  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [write_error, written] =
      co_await http::async_write(stream, message, net::as_tuple(net::use_awaitable));
  if (write_error) co_return Error{where + ": send: " + describe_error(write_error)};

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(options.max_response_bytes);
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [read_error, read] =
      co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
  if (read_error == http::error::body_limit) {
    co_return Error{where + ": response larger than " + std::to_string(options.max_response_bytes) +
                    " bytes"};
  }
  if (read_error) co_return Error{where + ": receive: " + describe_error(read_error)};

  auto& answer = parser.get();
  Response response;
  response.status = answer.result_int();
  for (const auto& field : answer) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(answer.body());
  co_return response;
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
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system trust store: " + ec.message());
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load CA file " + ca_file + ": " + ec.message());
  }
  return context;
}

net::awaitable<Result> fetch(Request request, Options options) {
  const auto url = parse_url(request.url);
  if (!url) co_return Error{request.method + " <invalid URL>: not an http:// or https:// URL"};
  const std::string where = request.method + " " + url->without_query();

  auto executor = co_await net::this_coro::executor;
  const auto start = steady::now();
  const auto deadline = start + options.total_timeout;
  const auto connect_deadline = std::min(deadline, start + options.connect_timeout);

  // The resolver has no timeout of its own.
  tcp::resolver resolver(executor);
  tcp::resolver::results_type endpoints;
  {
    transport::Deadline resolve_deadline(executor, [&resolver] { resolver.cancel(); });
    resolve_deadline.expires_at(connect_deadline);
    auto [resolve_error, results] =
        co_await resolver.async_resolve(url->host, url->port, net::as_tuple(net::use_awaitable));
    if (resolve_deadline.expired()) {
      co_return Error{where + ": resolve " + url->host + ": timed out"};
    }
    if (resolve_error) {
      co_return Error{where + ": resolve " + url->host + ": " + describe_error(resolve_error)};
    }
    endpoints = std::move(results);
  }

  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(connect_deadline);
  auto [connect_error, endpoint] =
      co_await tcp_stream.async_connect(endpoints, net::as_tuple(net::use_awaitable));
  if (connect_error) co_return Error{where + ": connect: " + describe_error(connect_error)};

  if (!url->tls) {
    auto result = co_await exchange(tcp_stream, request, *url, options, deadline, where);
    boost::system::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return result;
  }

  auto context = options.tls_context ? options.tls_context : make_tls_context();
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *context);
  boost::system::error_code address_error;
  net::ip::make_address(url->host, address_error);
  if (address_error) {
    // SNI carries host names only (RFC 6066 §3), never IP literals.
    // SSL_set_tlsext_host_name without the macro's C-style cast.
    if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url->host.c_str())) != 1) {
      co_return Error{where + ": cannot set TLS server name"};
    }
  }
  stream.set_verify_callback(ssl::host_name_verification(url->host));
  beast::get_lowest_layer(stream).expires_at(connect_deadline);
  auto [handshake_error] =
      co_await stream.async_handshake(ssl::stream_base::client, net::as_tuple(net::use_awaitable));
  if (handshake_error) {
    co_return Error{where + ": TLS handshake: " + describe_error(handshake_error)};
  }
  auto result = co_await exchange(stream, request, *url, options, deadline, where);
  // The response is complete (Connection: close); a TLS close_notify would
  // only add a round trip, so the connection is simply closed.
  beast::get_lowest_layer(stream).close();
  co_return result;
}

}  // namespace firewarden::http_client
