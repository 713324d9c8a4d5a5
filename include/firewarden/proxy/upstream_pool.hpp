#pragma once
// Keep-alive connections to the Firestore endpoint (plain HTTP for the
// emulator, HTTPS with SNI and certificate verification for Google).
//
// A connection is leased to one request at a time. Its socket uses the
// io_context's executor, not a strand: the leasing session drives it
// sequentially from its own strand, and deadlines are enforced by a
// Watchdog on that same strand closing the socket, so no two threads ever
// touch a connection at once.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "firewarden/net/asio.hpp"

namespace firewarden::proxy {

struct UpstreamOptions {
  bool tls = true;
  std::string host;  // for connect, SNI and certificate verification
  std::uint16_t port = 443;
  std::string ca_file;  // empty: the system trust store
  std::chrono::milliseconds connect_timeout{5000};
  std::uint32_t max_idle_connections = 64;
};

class UpstreamConnection {
 public:
  using Plain = net::ip::tcp::socket;
  using Tls = ssl::stream<net::ip::tcp::socket>;

  explicit UpstreamConnection(Plain socket) : stream_(std::move(socket)) {}
  explicit UpstreamConnection(Tls stream) : stream_(std::move(stream)) {}

  net::ip::tcp::socket& socket();
  template <typename F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }
  // True when an idle pooled connection can carry a request: the peer has
  // neither closed it nor sent anything unexpected (checked without sending
  // a byte, so a stale connection is never discovered mid-request).
  bool looks_reusable();

  beast::flat_buffer buffer;  // bytes read past the last response
  bool reused = false;

 private:
  std::variant<Plain, Tls> stream_;
};

// Runs `on_expiry` (e.g. closing a socket, cancelling a resolver) when a
// deadline passes, unless the Watchdog went out of scope first. Must be
// created on the coroutine's executor (the session strand), so the expiry
// never races with the operation it bounds.
class Watchdog {
 public:
  Watchdog(const net::any_io_executor& executor, std::chrono::milliseconds timeout,
           std::function<void()> on_expiry);
  // The common case: close `socket` on expiry.
  Watchdog(const net::any_io_executor& executor, std::chrono::milliseconds timeout,
           net::ip::tcp::socket& socket);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  bool fired() const { return state_->fired; }

 private:
  struct State {
    bool finished = false;
    bool fired = false;
  };
  std::shared_ptr<State> state_;
  net::steady_timer timer_;
};

// A deadline for each operation of a series on one socket (writing a
// request, reading its response head, each read of a streamed body) with
// one timer for the whole series: start() before an operation, stop() after
// it; an operation still running `timeout` after its start() closes the
// socket. The timer is armed once and, when it expires early (the running
// operation started later, or none is running), waits again for the rest:
// a 1 MB relay in 64 reads costs one timer wait instead of 64 arm/cancel
// pairs (bench mix (c)). Like Watchdog: created on the session's strand.
class OperationDeadline {
 public:
  OperationDeadline(const net::any_io_executor& executor, std::chrono::milliseconds timeout,
                    net::ip::tcp::socket& socket);
  ~OperationDeadline();
  OperationDeadline(const OperationDeadline&) = delete;
  OperationDeadline& operator=(const OperationDeadline&) = delete;

  void start();
  void stop();
  bool fired() const { return state_->fired; }

 private:
  struct State {
    State(const net::any_io_executor& executor, std::chrono::milliseconds limit,
          net::ip::tcp::socket& guarded)
        : timer(executor), timeout(limit), socket(&guarded) {}
    net::steady_timer timer;
    std::chrono::milliseconds timeout;
    net::ip::tcp::socket* socket;
    std::chrono::steady_clock::time_point started;
    bool running = false;
    bool finished = false;
    bool fired = false;
  };
  static void wait(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

struct ConnectFailure {
  std::string message;  // for the 502 body and the log
};

class UpstreamPool {
 public:
  UpstreamPool(net::io_context& io, UpstreamOptions options);

  // A reusable idle connection, or a new one (resolve, connect, TLS
  // handshake, all within connect_timeout).
  net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>> acquire();
  // Returns a connection whose last response was read completely and that
  // may be kept alive; beyond max_idle_connections it is closed.
  void release(std::unique_ptr<UpstreamConnection> connection);

  const UpstreamOptions& options() const { return options_; }
  std::size_t idle_count() const;

 private:
  net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>> connect();

  net::io_context& io_;
  UpstreamOptions options_;
  std::shared_ptr<ssl::context> tls_context_;  // https only
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace firewarden::proxy
