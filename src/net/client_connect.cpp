#include "firewarden/net/client_connect.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <stdexcept>
#include <utility>

#include "firewarden/net/deadline.hpp"

namespace firewarden::transport {
namespace {

using net::as_tuple;
using net::use_awaitable;
using tcp = net::ip::tcp;

ConnectError failure(ConnectError::Step step, const Deadline& deadline,
                     const boost::system::error_code& error) {
  if (deadline.expired()) return ConnectError{step, true, {}};
  return ConnectError{step, false, error};
}

tcp::socket& lowest_socket(OutboundStream& stream) {
  if (auto* plain = std::get_if<PlainConnection>(&stream)) return *plain;
  return std::get<TlsConnection>(stream).next_layer();
}

// SNI. SSL_set_tlsext_host_name is a macro with a C-style cast; this is
// what it expands to.
bool set_server_name(SSL* ssl, const std::string& host) {
  return SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str())) == 1;
}

}  // namespace

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  // TLS 1.2 is the oldest version Google's front ends and current clients
  // agree on; older ones have known weaknesses (RFC 8996).
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code error;
  if (ca_file.empty()) {
    context->set_default_verify_paths(error);
    if (error) throw std::runtime_error("cannot load the system trust store: " + error.message());
  } else {
    context->load_verify_file(ca_file, error);
    if (error) throw std::runtime_error("cannot load CA file " + ca_file + ": " + error.message());
  }
  return context;
}

bool sends_server_name(std::string_view host) {
  boost::system::error_code not_an_address;
  net::ip::make_address(host, not_an_address);
  return static_cast<bool>(not_an_address);
}

net::awaitable<ConnectResult> async_connect(net::any_io_executor stream_executor, std::string host,
                                            std::string port, ssl::context* tls,
                                            std::chrono::steady_clock::duration timeout,
                                            std::string alpn) {
  using Step = ConnectError::Step;
  const auto executor = co_await net::this_coro::executor;
  OutboundStream stream =
      tls == nullptr ? OutboundStream(std::in_place_type<PlainConnection>, stream_executor)
                     : OutboundStream(std::in_place_type<TlsConnection>, stream_executor, *tls);
  tcp::socket& socket = lowest_socket(stream);
  tcp::resolver resolver(executor);
  // One deadline for all three steps; it ends whichever is running (the
  // resolver has no timeout of its own).
  Deadline deadline(executor, [&resolver, &socket] {
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  deadline.expires_after(timeout);

  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(host, port, as_tuple(use_awaitable));
  if (resolve_error || deadline.expired()) {
    co_return failure(Step::resolve, deadline, resolve_error);
  }

  auto [connect_error, endpoint] =
      co_await net::async_connect(socket, endpoints, as_tuple(use_awaitable));
  if (connect_error || deadline.expired()) {
    co_return failure(Step::connect, deadline, connect_error);
  }
  if (tls == nullptr) co_return std::move(stream);

  auto& secure = std::get<TlsConnection>(stream);
  if (sends_server_name(host) && !set_server_name(secure.native_handle(), host)) {
    co_return ConnectError{Step::server_name, false, {}};
  }
  // The certificate must name the host (RFC 6125 via OpenSSL): a DNS name
  // for a host name, an IP address entry for a literal.
  secure.set_verify_callback(ssl::host_name_verification(host));
  if (!alpn.empty() && SSL_set_alpn_protos(secure.native_handle(),
                                           reinterpret_cast<const unsigned char*>(alpn.data()),
                                           static_cast<unsigned>(alpn.size())) != 0) {
    co_return ConnectError{Step::handshake, false, {}};
  }
  auto [handshake_error] =
      co_await secure.async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
  if (handshake_error || deadline.expired()) {
    co_return failure(Step::handshake, deadline, handshake_error);
  }
  co_return std::move(stream);
}

}  // namespace firewarden::transport
