#include "tls_relay.hpp"

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <thread>

namespace firewarden::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using net::ip::tcp;

namespace {

// ALPN (RFC 7301 §3.2): h2 when the client offers it; otherwise no
// protocol is selected and the connection speaks HTTP/1.1.
int select_h2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
              unsigned int in_length, void*) {
  static const unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kH2, sizeof kH2, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Both ends of one relayed connection; either direction's end closes both.
struct Pair {
  ssl::stream<tcp::socket> client;
  tcp::socket target;

  Pair(tcp::socket accepted, ssl::context& context)
      : client(std::move(accepted), context), target(client.get_executor()) {}

  void close() {
    boost::system::error_code ignored;
    client.lowest_layer().close(ignored);
    target.close(ignored);
  }
};

template <typename From, typename To>
net::awaitable<void> copy(std::shared_ptr<Pair> pair, From& from, To& to) {
  std::array<char, 16 * 1024> buffer{};
  for (;;) {
    auto [read_error, read] =
        co_await from.async_read_some(net::buffer(buffer), net::as_tuple(net::use_awaitable));
    if (read > 0) {
      auto [write_error, written] = co_await net::async_write(to, net::buffer(buffer.data(), read),
                                                              net::as_tuple(net::use_awaitable));
      if (write_error) break;
    }
    if (read_error) break;
  }
  pair->close();
}

}  // namespace

struct TlsRelay::Impl {
  net::io_context io;
  ssl::context context{ssl::context::tls_server};
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  tcp::endpoint target;
  std::atomic<int> connections{0};
  std::thread thread;

  net::awaitable<void> relay(tcp::socket accepted) {
    auto pair = std::make_shared<Pair>(std::move(accepted), context);
    auto [handshake_error] = co_await pair->client.async_handshake(
        ssl::stream_base::server, net::as_tuple(net::use_awaitable));
    if (handshake_error) co_return pair->close();
    auto [connect_error] =
        co_await pair->target.async_connect(target, net::as_tuple(net::use_awaitable));
    if (connect_error) co_return pair->close();
    ++connections;
    net::co_spawn(io, copy(pair, pair->client, pair->target), net::detached);
    net::co_spawn(io, copy(pair, pair->target, pair->client), net::detached);
  }

  net::awaitable<void> accept() {
    for (;;) {
      auto [error, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (error) co_return;
      net::co_spawn(io, relay(std::move(socket)), net::detached);
    }
  }
};

TlsRelay::TlsRelay(unsigned short target_port, const std::string& cert_file,
                   const std::string& key_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->target = tcp::endpoint(net::ip::make_address("127.0.0.1"), target_port);
  impl_->context.use_certificate_chain_file(cert_file);
  impl_->context.use_private_key_file(key_file, ssl::context::pem);
  SSL_CTX_set_alpn_select_cb(impl_->context.native_handle(), select_h2, nullptr);
  net::co_spawn(impl_->io, impl_->accept(), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

TlsRelay::~TlsRelay() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string TlsRelay::url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

int TlsRelay::connections() const { return impl_->connections; }

}  // namespace firewarden::testing
