#pragma once
// Keep-alive connections to the Firestore endpoint (plain HTTP for the
// emulator, HTTPS with SNI and certificate verification for Google).
//
// A connection is leased to one request at a time. The pool keeps one set
// of idle connections per worker (an io_context run by exactly one thread):
// a connection is made on the worker of the session that asks for it, goes
// back to that worker's set, and is only ever leased again there. So no two
// threads ever touch a connection or a set, and neither needs a lock or a
// strand (deadlines are a transport::Deadline on that same worker).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_connect.hpp"
#include "firewarden/net/deadline.hpp"

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
  using Plain = transport::PlainConnection;
  using Tls = transport::TlsConnection;

  explicit UpstreamConnection(transport::OutboundStream stream) : stream_(std::move(stream)) {}

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
  transport::OutboundStream stream_;
};

// The per-operation deadline of a leased connection (net/deadline.hpp).
using transport::OperationDeadline;

struct ConnectFailure {
  std::string message;  // for the 502 body and the log
};

class UpstreamPool {
 public:
  // `workers`: the executors sessions run on, each of whose io_contexts is
  // run by exactly one thread; every one keeps up to max_idle_connections.
  UpstreamPool(const std::vector<net::any_io_executor>& workers, UpstreamOptions options);

  // A reusable idle connection of the calling coroutine's worker, or a new
  // one on that worker (resolve, connect, TLS handshake, all within
  // connect_timeout). A caller on no worker gets a new connection that is
  // never pooled.
  net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>> acquire();
  // Returns a connection whose last response was read completely and that
  // may be kept alive, on the worker it was made on (its socket's);
  // beyond max_idle_connections it is closed.
  void release(std::unique_ptr<UpstreamConnection> connection);

  const UpstreamOptions& options() const { return options_; }

 private:
  // One worker's idle connections; only that worker's thread touches it.
  struct Worker {
    const net::execution_context* context;
    std::vector<std::unique_ptr<UpstreamConnection>> idle;  // most recent last
  };
  Worker* worker_of(const net::any_io_executor& executor);
  net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>> connect(
      net::any_io_executor executor);

  UpstreamOptions options_;
  std::shared_ptr<ssl::context> tls_context_;  // https only
  std::vector<Worker> workers_;                // fixed at construction
};

}  // namespace firewarden::proxy
