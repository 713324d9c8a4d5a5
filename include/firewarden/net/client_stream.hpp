#pragma once
// The downstream (client) side of one connection: plain TCP (xfcc and fixed
// modes) or TLS (mtls). Code that reads or writes does so through visit(),
// so the session and the proxy are written once for both.
#include <optional>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_socket.hpp"
#include "firewarden/net/tls_stream.hpp"

namespace firewarden::transport {

class ClientStream {
 public:
  using Plain = PlainStream;
  using Tls = TlsStream;

  // Plaintext.
  explicit ClientStream(net::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  // TLS, a new session for `ctx` (its handshake still to be done).
  ClientStream(net::ip::tcp::socket socket, SSL_CTX* ctx) : socket_(std::move(socket)) {
    tls_.emplace(socket_, ctx);
  }
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // The TCP layer: deadlines (expires_after), socket, cancel, close.
  ClientSocket& tcp() { return socket_; }
  bool is_tls() const { return tls_.has_value(); }
  Tls* tls() { return tls_ ? &*tls_ : nullptr; }

  // One attempt without waiting, the one the asynchronous operations make
  // first: Want::nothing when it finished (`error` and `bytes` are the
  // result), otherwise what it would wait for (nothing was transferred; a
  // TLS write must then be retried with the same bytes, as async_write
  // does). Lets the session skip an asynchronous operation (its frame, post
  // and resumption: ~3k instructions) when the socket is ready, as it
  // usually is once a request has begun to arrive.
  Want try_read_some(net::mutable_buffer buffer, boost::system::error_code& error,
                     std::size_t& bytes) {
    return try_now(error, bytes, [&](auto& stream) { return stream.read(buffer, error, bytes); });
  }
  Want try_write_some(net::const_buffer buffer, boost::system::error_code& error,
                      std::size_t& bytes) {
    return try_now(error, bytes, [&](auto& stream) { return stream.write(buffer, error, bytes); });
  }

  // Calls f(stream) with the concrete stream type; f returns the same type
  // for both (e.g. an awaitable).
  template <typename F>
  decltype(auto) visit(F&& f) {
    if (tls_) return f(*tls_);
    return f(plain_);
  }

 private:
  // The checks an asynchronous operation makes before each attempt, then the
  // attempt on the concrete stream.
  template <typename Attempt>
  Want try_now(boost::system::error_code& error, std::size_t& bytes, Attempt attempt) {
    bytes = 0;
    error = socket_.attempt_refusal();
    if (error) return Want::nothing;
    return visit(attempt);
  }

  ClientSocket socket_;  // declared first: the streams refer to it
  PlainStream plain_{socket_};
  std::optional<TlsStream> tls_;
};

}  // namespace firewarden::transport
