#include "recording_upstream.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

namespace firewarden::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kDeadline{30};

}  // namespace

std::string UpstreamRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct RecordingUpstream::Impl {
  // Declared before `io`: streams in coroutine frames that `io` destroys
  // still refer to it.
  std::optional<ssl::context> tls;
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io};
  int status = 200;
  std::string body;
  mutable std::mutex mutex;
  std::vector<UpstreamRequest> requests;
  std::thread thread;

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [error, socket] = co_await acceptor.async_accept(kAsTuple);
      if (error) co_return;
      net::co_spawn(io, session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> session(net::ip::tcp::socket socket) {
    beast::tcp_stream plain(std::move(socket));
    if (!tls) {
      co_await serve(plain);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> secure(std::move(plain), *tls);
    beast::get_lowest_layer(secure).expires_after(kDeadline);
    auto [error] = co_await secure.async_handshake(ssl::stream_base::server, kAsTuple);
    if (error) co_return;
    co_await serve(secure);
  }

  // Keep-alive loop: read a request, record it, answer the fixed response.
  template <typename Stream>
  net::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      beast::get_lowest_layer(stream).expires_after(kDeadline);
      auto [read_error, read] = co_await http::async_read(stream, buffer, request, kAsTuple);
      if (read_error) co_return;
      record(request);
      http::response<http::string_body> response(static_cast<http::status>(status), 11);
      response.set(http::field::content_type, "application/json");
      response.set("x-upstream-secret", "must-pass-through");
      response.set(http::field::connection, "keep-alive, x-hop");
      response.set("x-hop", "hop-by-hop");
      response.body() = body;
      response.prepare_payload();
      beast::get_lowest_layer(stream).expires_after(kDeadline);
      auto [write_error, written] = co_await http::async_write(stream, response, kAsTuple);
      if (write_error) co_return;
    }
  }

  void record(const http::request<http::string_body>& request) {
    UpstreamRequest recorded;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      recorded.headers.emplace(name, std::string(field.value()));
    }
    recorded.body = request.body();
    std::lock_guard lock(mutex);
    requests.push_back(std::move(recorded));
  }

  // Listens on 127.0.0.1, port 0, and serves on a thread; the port.
  unsigned short start() {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    const unsigned short port = acceptor.local_endpoint().port();
    net::co_spawn(io, accept_loop(), net::detached);
    thread = std::thread([this] { io.run(); });
    return port;
  }
};

RecordingUpstream::RecordingUpstream(int status, std::string body)
    : impl_(std::make_unique<Impl>()) {
  impl_->status = status;
  impl_->body = std::move(body);
  port_ = impl_->start();
}

RecordingUpstream::RecordingUpstream(const UpstreamTlsFiles& tls, int status, std::string body)
    : impl_(std::make_unique<Impl>()), tls_(true) {
  impl_->status = status;
  impl_->body = std::move(body);
  auto& context = impl_->tls.emplace(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context.use_certificate_chain_file(tls.cert_file);  // throws with the file's problem
  context.use_private_key_file(tls.key_file, ssl::context::pem);
  port_ = impl_->start();
}

RecordingUpstream::~RecordingUpstream() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string RecordingUpstream::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::vector<UpstreamRequest> RecordingUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace firewarden::testing
