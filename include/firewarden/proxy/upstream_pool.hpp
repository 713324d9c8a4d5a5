#pragma once
// Keep-alive connections to the Firestore endpoint (plain HTTP for the
// emulator, HTTPS with SNI and certificate verification for Google).
//
// A connection is leased to one request at a time. Its socket uses the
// io_context's executor, not a strand: the leasing session drives it
// sequentially from its own strand, and deadlines are enforced by a
// transport::Deadline on that same strand closing the socket, so no two
// threads ever touch a connection at once.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

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
