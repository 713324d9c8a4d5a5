#pragma once
// The TCP socket of one client connection with a deadline, and the plaintext
// stream over it. Replaces beast::tcp_stream on the server side: the
// deadline is a transport::Deadline (one lazily re-armed timer per
// connection instead of a timer operation per read and per write), and an
// idle connection can wait for readability without holding a read buffer
// (wait_readable).
//
// Every member is called on the connection's executor (its strand), one
// read and one write operation at a time at most (the session never reads
// and writes at once).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/deadline.hpp"

namespace firewarden::transport {

// What an I/O attempt needs before it can make progress.
enum class Want : std::uint8_t { nothing, read, write };

class ClientSocket {
 public:
  using executor_type = net::any_io_executor;

  // The socket is switched to non-blocking mode: reads and writes are tried
  // at once and wait for readiness only when the kernel has nothing.
  explicit ClientSocket(net::ip::tcp::socket socket);
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  // A deadline for the operations that follow, as beast::tcp_stream's: when
  // it passes, the pending operation fails with beast::error::timeout, and
  // so does every later one until the next expires_after.
  void expires_after(std::chrono::steady_clock::duration timeout) {
    deadline_.expires_after(timeout);
  }
  bool expired() const { return deadline_.expired(); }
  // No deadline until the next expires_after (an HTTP/2 connection keeps
  // its own timeouts: its reads and writes overlap).
  void expires_never() { deadline_.expires_never(); }

  // Pending operations fail with operation_aborted (drain).
  void cancel();
  void close();

  net::ip::tcp::socket& socket() { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }

  // The error an operation reports: a wait cancelled by the deadline is a
  // timeout; one on a closed socket is bad_descriptor.
  boost::system::error_code wait_error(const boost::system::error_code& error) const;

  // Why no read or write may be attempted now: timeout once the deadline
  // passed, bad_descriptor once closed (which also keeps a TLS session away
  // from an fd number a closed socket gave back, and another connection may
  // have been given since); empty when one may.
  boost::system::error_code attempt_refusal() const;

  // Completes when the socket is readable (or the deadline passes), without
  // a buffer: what an idle keep-alive connection waits on.
  template <typename Token>
  auto async_wait_readable(Token&& token);

 private:
  net::ip::tcp::socket socket_;
  Deadline deadline_;  // cancels socket_'s pending operation; declared after it
};

// One asynchronous operation made of non-blocking attempts: `attempt(error,
// bytes)` either finishes (Want::nothing; `error` and `bytes` are the
// result) or names the readiness it waits for. An operation never completes
// inside its initiating function (a finished first attempt is posted), as
// the Asio rules require and Beast's composed operations assume.
template <typename Attempt>
class AttemptOp {
 public:
  AttemptOp(ClientSocket& socket, Attempt attempt)
      : socket_(socket), attempt_(std::move(attempt)) {}

  template <typename Self>
  void operator()(Self& self, boost::system::error_code wait_error = {}) {
    if (finished_) return self.complete(error_, bytes_);
    if (waited_ && wait_error) return self.complete(socket_.wait_error(wait_error), 0);
    error_ = socket_.attempt_refusal();
    if (!error_) {
      const Want want = attempt_(error_, bytes_);
      if (want != Want::nothing) {
        waited_ = true;
        socket_.socket().async_wait(
            want == Want::read ? net::socket_base::wait_read : net::socket_base::wait_write,
            std::move(self));
        return;
      }
    }
    finished_ = true;
    if (waited_) return self.complete(error_, bytes_);
    net::post(socket_.get_executor(), std::move(self));
  }

 private:
  ClientSocket& socket_;
  Attempt attempt_;
  boost::system::error_code error_;
  std::size_t bytes_ = 0;
  bool waited_ = false;
  bool finished_ = false;
};

template <typename Attempt, typename Token>
auto async_attempt(ClientSocket& socket, Attempt attempt, Token&& token) {
  return net::async_compose<Token, void(boost::system::error_code, std::size_t)>(
      AttemptOp<Attempt>(socket, std::move(attempt)), token, socket.socket());
}

template <typename Token>
auto ClientSocket::async_wait_readable(Token&& token) {
  return async_attempt(
      *this,
      [first = true](boost::system::error_code&, std::size_t&) mutable {
        return std::exchange(first, false) ? Want::read : Want::nothing;
      },
      std::forward<Token>(token));
}

// Plain TCP as a Beast AsyncReadStream/AsyncWriteStream, honouring the
// socket's deadline. Scatter/gather: a response head and body go out in one
// sendmsg(2).
class PlainStream {
 public:
  using executor_type = ClientSocket::executor_type;

  explicit PlainStream(ClientSocket& socket) : socket_(socket) {}
  executor_type get_executor() { return socket_.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return async_attempt(
        socket_,
        [this, buffers](boost::system::error_code& error, std::size_t& bytes) {
          return read(buffers, error, bytes);
        },
        std::forward<Token>(token));
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return async_attempt(
        socket_,
        [this, buffers](boost::system::error_code& error, std::size_t& bytes) {
          return write(buffers, error, bytes);
        },
        std::forward<Token>(token));
  }

  // One non-blocking read or write (what the asynchronous operations repeat
  // until it needs nothing), as TlsStream's: Want::nothing when it finished,
  // with `error` and `bytes` its result; else the readiness it needs.
  template <typename MutableBuffers>
  Want read(const MutableBuffers& buffers, boost::system::error_code& error, std::size_t& bytes) {
    bytes = socket_.socket().read_some(buffers, error);
    return error == net::error::would_block ? Want::read : Want::nothing;
  }
  template <typename ConstBuffers>
  Want write(const ConstBuffers& buffers, boost::system::error_code& error, std::size_t& bytes) {
    bytes = socket_.socket().write_some(buffers, error);
    return error == net::error::would_block ? Want::write : Want::nothing;
  }

 private:
  ClientSocket& socket_;
};

}  // namespace firewarden::transport
