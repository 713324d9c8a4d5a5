#include "http_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace firewarden::testing {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

template <typename Stream>
HttpResponse exchange(Stream& stream, const HttpRequestSpec& spec, const std::string& host) {
  http::request<http::string_body> request{http::string_to_verb(spec.method), spec.target, 11};
  request.set(http::field::host, host);
  for (const auto& [name, value] : spec.headers) request.insert(name, value);
  request.body() = spec.body;
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PATCH")
    request.prepare_payload();
  HttpResponse result;
  beast::error_code error;
  http::write(stream, request, error);
  if (error) {
    result.error = "write: " + error.message();
    return result;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser, error);
  if (error) {
    result.error = "read: " + error.message();
    return result;
  }
  auto& response = parser.get();
  result.status = response.result_int();
  result.body = response.body();
  for (const auto& field : response) {
    result.headers[lowercase(std::string(field.name_string()))] = std::string(field.value());
  }
  return result;
}

}  // namespace

HttpResponse http_request(const std::string& host, unsigned short port, const HttpRequestSpec& spec,
                          const std::optional<TlsClientFiles>& tls,
                          std::chrono::milliseconds timeout) {
  net::io_context io;
  beast::tcp_stream tcp(io);
  tcp.expires_after(timeout);
  HttpResponse result;
  beast::error_code error;
  tcp.socket().connect({net::ip::make_address(host), port}, error);
  if (error) {
    result.error = "connect: " + error.message();
    return result;
  }
  const std::string authority = host + ":" + std::to_string(port);
  if (!tls) return exchange(tcp, spec, authority);

  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(tls->ca_file);
  context.set_verify_mode(ssl::verify_peer);
  if (!tls->cert_file.empty()) {
    context.use_certificate_chain_file(tls->cert_file);
    context.use_private_key_file(tls->key_file, ssl::context::pem);
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), context);
  stream.handshake(ssl::stream_base::client, error);
  if (error) {
    result.error = "handshake: " + error.message();
    return result;
  }
  result = exchange(stream, spec, authority);
  // With TLS 1.3 the server's refusal of a client certificate arrives after
  // the handshake, as an alert on the first read.
  return result;
}

HttpRequestSpec json_post(std::string target, std::string body) {
  return HttpRequestSpec{
      "POST", std::move(target), std::move(body), {{"content-type", "application/json"}}};
}

std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  net::io_context io;
  beast::tcp_stream tcp(io);
  tcp.expires_after(timeout);
  beast::error_code error;
  tcp.socket().connect({net::ip::make_address("127.0.0.1"), port}, error);
  if (error) return {};
  net::write(tcp.socket(), net::buffer(bytes), error);
  std::string received;
  char chunk[4096];
  for (;;) {
    const std::size_t n = tcp.read_some(net::buffer(chunk), error);
    received.append(chunk, n);
    if (error) break;
  }
  return received;
}

}  // namespace firewarden::testing
