#include "persistent_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

#include "file_facts.hpp"

namespace firewarden::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;

struct PersistentConnection::Impl {
  // Declared before the streams, which refer to them.
  net::io_context io;
  std::optional<ssl::context> context;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;
  std::string error;
  std::string certificate_sha256;
  std::string certificate_serial;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  template <typename Visit>
  void with_stream(Visit visit) {
    if (secure) {
      visit(*secure);
    } else {
      visit(*plain);
    }
  }

  // Runs one asynchronous operation to completion or `timeout`, whichever
  // comes first (blocking Beast calls have no deadline).
  template <typename Start>
  boost::system::error_code run(Start start, std::chrono::milliseconds timeout) {
    std::optional<boost::system::error_code> result;
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run_for(timeout);
    if (!result) {
      boost::system::error_code ignored;
      lowest().socket().cancel(ignored);
      io.restart();
      io.run_for(std::chrono::seconds(1));
      return net::error::timed_out;
    }
    return *result;
  }

  void remember_certificate() {
    X509* leaf = SSL_get1_peer_certificate(secure->native_handle());
    if (leaf == nullptr) return;
    certificate_sha256 = testing::certificate_sha256(leaf);
    certificate_serial = testing::certificate_serial(leaf);
    X509_free(leaf);
  }
};

PersistentConnection::PersistentConnection(unsigned short port,
                                           const std::optional<TlsClientFiles>& tls,
                                           std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  beast::tcp_stream tcp(s.io);
  boost::system::error_code error;
  tcp.socket().connect({net::ip::make_address("127.0.0.1"), port}, error);
  if (error) {
    s.plain.emplace(std::move(tcp));
    s.error = "connect: " + error.message();
    return;
  }
  if (!tls) {
    s.plain.emplace(std::move(tcp));
    s.connected = true;
    return;
  }
  auto& context = s.context.emplace(ssl::context::tls_client);
  context.load_verify_file(tls->ca_file);
  context.set_verify_mode(ssl::verify_peer);
  if (!tls->cert_file.empty()) {
    context.use_certificate_chain_file(tls->cert_file);
    context.use_private_key_file(tls->key_file, ssl::context::pem);
  }
  s.secure.emplace(std::move(tcp), context);
  error = s.run(
      [&](auto handler) {
        s.secure->async_handshake(ssl::stream_base::client, std::move(handler));
      },
      timeout);
  if (error) {
    s.error = "handshake: " + error.message();
    return;
  }
  s.connected = true;
  s.remember_certificate();
}

PersistentConnection::~PersistentConnection() {
  boost::system::error_code ignored;
  impl_->lowest().socket().close(ignored);
}

bool PersistentConnection::connected() const { return impl_->connected; }
const std::string& PersistentConnection::error() const { return impl_->error; }

bool PersistentConnection::send(const HttpRequestSpec& spec) {
  auto& s = *impl_;
  if (!s.connected) return false;
  http::request<http::string_body> request{http::string_to_verb(spec.method), spec.target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : spec.headers) request.insert(name, value);
  request.body() = spec.body;
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PATCH") {
    request.prepare_payload();
  }
  boost::system::error_code error;
  s.with_stream([&](auto& stream) {
    error = s.run([&](auto handler) { http::async_write(stream, request, std::move(handler)); },
                  std::chrono::seconds(5));
  });
  if (error) {
    s.error = "write: " + error.message();
    s.connected = false;
    return false;
  }
  return true;
}

HttpResponse PersistentConnection::receive(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  HttpResponse result;
  if (!s.connected) {
    result.error = "not connected: " + s.error;
    return result;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  boost::system::error_code error;
  s.with_stream([&](auto& stream) {
    error =
        s.run([&](auto handler) { http::async_read(stream, s.buffer, parser, std::move(handler)); },
              timeout);
  });
  if (error) {
    result.error = "read: " + error.message();
    s.error = result.error;
    s.connected = false;
    return result;
  }
  auto& response = parser.get();
  result.status = response.result_int();
  result.body = response.body();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  if (!response.keep_alive()) s.connected = false;
  return result;
}

HttpResponse PersistentConnection::request(const HttpRequestSpec& spec,
                                           std::chrono::milliseconds timeout) {
  if (!send(spec)) {
    HttpResponse result;
    result.error = impl_->error;
    return result;
  }
  return receive(timeout);
}

bool PersistentConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  char byte = 0;
  boost::system::error_code error;
  s.with_stream([&](auto& stream) {
    error = s.run([&](auto handler) { stream.async_read_some(net::buffer(&byte, 1), handler); },
                  timeout);
  });
  if (error == net::error::timed_out) return false;  // still open, nothing arrived
  if (!error) return false;                          // data: not closed
  s.connected = false;
  return true;
}

std::string PersistentConnection::server_certificate_sha256() const {
  return impl_->certificate_sha256;
}
std::string PersistentConnection::server_certificate_serial() const {
  return impl_->certificate_serial;
}
bool PersistentConnection::session_resumable() const {
  if (!impl_->secure) return false;
  const SSL_SESSION* session = SSL_get0_session(impl_->secure->native_handle());
  return session != nullptr && SSL_SESSION_is_resumable(session) == 1;
}

}  // namespace firewarden::testing
