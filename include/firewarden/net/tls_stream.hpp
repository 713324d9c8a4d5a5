#pragma once
// Server-side TLS directly over the client socket's descriptor (SSL_set_fd,
// non-blocking): OpenSSL reads and writes the socket itself, and an
// operation waits for readiness only when OpenSSL asks for it
// (SSL_ERROR_WANT_READ/WRITE). Replaces asio::ssl::stream, which kept two
// 17 KiB engine buffers and a 2 × 17 KiB BIO pair for a connection's whole
// life and copied every record through them; with SSL_MODE_RELEASE_BUFFERS
// an idle connection here holds no record buffer at all.
//
// A Beast AsyncReadStream/AsyncWriteStream, so http::async_read/async_write
// work on it unchanged; the deadline is the ClientSocket's. One read and one
// write at most at a time, never both at once (the session alternates).
#include <openssl/ssl.h>

#include <cstddef>

#include "firewarden/net/client_socket.hpp"

namespace firewarden::transport {

class TlsStream {
 public:
  using executor_type = ClientSocket::executor_type;

  // A new server-side session for `ctx` on `socket` (a fresh SSL per
  // connection, so a reloaded context applies to new connections only).
  TlsStream(ClientSocket& socket, SSL_CTX* ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* native_handle() { return ssl_; }
  executor_type get_executor() { return socket_.get_executor(); }
  // Decrypted or undecrypted bytes OpenSSL already holds: a read would not
  // need the socket to become readable first.
  bool has_pending() const;

  // One SSL_read_ex / SSL_write_ex attempt (what the asynchronous operations
  // repeat until it needs nothing): Want::nothing when it finished, with
  // `error` and `bytes` its result; else the readiness it needs.
  Want read(net::mutable_buffer buffer, boost::system::error_code& error, std::size_t& bytes);
  Want write(net::const_buffer buffer, boost::system::error_code& error, std::size_t& bytes);

  template <typename Token>
  auto async_handshake(Token&& token) {
    return async_attempt(
        socket_,
        [this](boost::system::error_code& error, std::size_t&) { return handshake(error); },
        std::forward<Token>(token));
  }

  // Sends close_notify; does not wait for the peer's (the connection is
  // closed right after, as nginx does).
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return async_attempt(
        socket_, [this](boost::system::error_code& error, std::size_t&) { return shutdown(error); },
        std::forward<Token>(token));
  }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return async_attempt(
        socket_,
        [this, buffers](boost::system::error_code& error, std::size_t& bytes) {
          return read(first_buffer(buffers), error, bytes);
        },
        std::forward<Token>(token));
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return async_attempt(
        socket_,
        [this, buffers](boost::system::error_code& error, std::size_t& bytes) {
          return write(gather(buffers), error, bytes);
        },
        std::forward<Token>(token));
  }

 private:
  template <typename Buffers>
  static net::mutable_buffer first_buffer(const Buffers& buffers) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      if (net::mutable_buffer b(*it); b.size() > 0) return b;
    }
    return {};
  }

  // A response head and a small body become one TLS record (and one
  // send(2)) instead of one each: several buffers are copied into a
  // per-thread staging area of one record's size. Safe to reuse between
  // connections: a retried SSL_write_ex after WANT_WRITE is given the same
  // bytes again (gathered anew), and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
  // allows their address to change.
  template <typename Buffers>
  static net::const_buffer gather(const Buffers& buffers) {
    auto it = net::buffer_sequence_begin(buffers);
    const auto end = net::buffer_sequence_end(buffers);
    while (it != end && net::const_buffer(*it).size() == 0) ++it;
    if (it == end) return {};
    const net::const_buffer first(*it);
    if (first.size() >= kStagingBytes || std::next(it) == end) return first;
    char* staging = staging_area();
    std::size_t used = 0;
    for (; it != end && used < kStagingBytes; ++it) {
      used += net::buffer_copy(net::buffer(staging + used, kStagingBytes - used),
                               net::const_buffer(*it));
    }
    return {staging, used};
  }

  static constexpr std::size_t kStagingBytes = 16 * 1024;  // one TLS record
  static char* staging_area();

  Want handshake(boost::system::error_code& error);
  Want shutdown(boost::system::error_code& error);

  ClientSocket& socket_;
  SSL* ssl_;
};

}  // namespace firewarden::transport
