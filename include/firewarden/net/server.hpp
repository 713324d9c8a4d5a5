#pragma once
// The data-plane HTTP/1.1 server: one accept loop handing each connection to
// a worker (round-robin) or a strand of its own, a session coroutine per
// connection that reads requests one at a time (so pipelined requests are
// answered in order) and hands each complete request to the RequestHandler.
// Limits and deadlines of SPEC §2 `limits` are applied here, where the
// parser is made (STYLE.md 3).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_stream.hpp"
#include "firewarden/net/http2_limits.hpp"
#include "firewarden/net/http2_stream.hpp"
#include "firewarden/net/request_reader.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"
#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::transport {

using Request = http::request<http::string_body>;

// What a handler keeps for one connection (for example the identity its
// client certificate proves), made by RequestHandler::on_connected. The
// transport only holds it: what it means is the handler's business.
class ConnectionState {
 public:
  virtual ~ConnectionState() = default;
};

// What is known about one client connection.
struct Connection {
  std::uint64_t id = 0;
  net::ip::tcp::endpoint peer;
  bool tls = false;
  std::uint64_t requests = 0;              // requests read so far on this connection
  std::unique_ptr<ConnectionState> state;  // the handler's (on_connected); may be empty
};

// A request the server could not read: too large or malformed. The server
// maps the parser's error to the status; the handler words the response.
struct UnreadableRequest {
  boost::system::error_code cause;  // Beast's or the request reader's error
  unsigned status = 400;            // 400 malformed, 413 body too large, 431 head too large
  std::string reason;  // a short description, e.g. "request body exceeds the size limit"
};

// What a read error becomes for the client, if anything is still worth
// sending (a timeout or a vanished peer gets nothing). HTTP/1.1 and HTTP/2
// map their limits through it alike.
std::optional<UnreadableRequest> unreadable_request(const boost::system::error_code& error);

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // Called once the connection can carry requests: after its TLS handshake
  // (`ssl`: the session, the peer's chain verified by the context) or at
  // once for plaintext (`ssl` is null). What it returns is kept in
  // Connection::state for the connection's lifetime.
  virtual std::unique_ptr<ConnectionState> on_connected(const Connection& /*connection*/,
                                                        SSL* /*ssl*/) {
    return nullptr;
  }

  // Handles one complete request and writes exactly one response to
  // `client`. Returns whether the connection may stay open.
  virtual net::awaitable<bool> handle(Connection& connection, Request& request,
                                      ClientStream& client) = 0;

  // One HTTP/2 request stream (a gRPC call or a REST request over HTTP/2).
  // Runs on the connection's strand, concurrently with the connection's
  // other streams. The stream is answered (headers, data, trailers) or reset
  // by the time this returns; one left open is reset by the transport. The
  // default refuses the stream (REFUSED_STREAM): a handler that serves no
  // HTTP/2 never sees one once its listener does not offer it.
  virtual net::awaitable<void> handle_stream(Connection& /*connection*/, Http2Stream& stream) {
    stream.reset(Http2Error::refused_stream);
    co_return;
  }

  // A request could not be read: the server sends the response returned
  // here and closes the connection. The default answers the status with the
  // reason as plain text.
  virtual http::response<http::string_body> on_unreadable_request(
      const Connection& connection, const UnreadableRequest& unreadable);

  // mtls: the handshake failed for `reason` (a stable label, as counted in
  // firewarden_tls_handshake_failures_total). For the access log.
  virtual void on_handshake_failed(const Connection& /*connection*/,
                                   const std::string& /*reason*/) {}
};

// A timeout under overload: a tenth of the configured one (Envoy's
// reduce_timeouts with min_scale 10%), at least 1 s so a real client on a
// slow link still gets its head through, never longer than configured.
std::chrono::milliseconds overload_timeout(std::chrono::milliseconds configured);

struct ServerOptions {
  net::ip::tcp::endpoint address;
  // mtls: the current TLS context (called for every new connection, so a
  // reloaded certificate applies to new connections only). Empty: plaintext.
  std::function<std::shared_ptr<ssl::context>()> tls_context;
  std::uint32_t max_connections = 10000;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  // Overload, as Envoy's overload manager `reduce_timeouts` action: from
  // this share of max_connections open on, the TLS handshake, request-read
  // and idle timeouts are cut (overload_timeout()), for new waits and for
  // connections already waiting, so slow clients make room for real ones.
  unsigned overload_threshold_percent = 80;
  // Counted in firewarden_connections_active and the other
  // firewarden_connections_* families (the data plane; not the admin
  // listener, whose /metrics request would otherwise count itself).
  bool count_connections = true;
  // HTTP/2 with these limits (prior knowledge on plaintext, ALPN "h2" on
  // TLS); unset: HTTP/1.1 only (the admin listener).
  std::optional<Http2Limits> http2;
  // Where connections run, handed out round-robin as they are accepted
  // (nginx's workers with one accept queue): each executor's io_context is
  // run by exactly one thread, so a connection and everything it starts
  // runs on its worker's executor directly, with no strand and no
  // cross-thread hop for its whole life. Empty: the listener's io_context,
  // on a strand per connection, or directly when `single_thread` says that
  // one thread runs it.
  std::vector<net::any_io_executor> workers;
  bool single_thread = false;
};

class Server {
 public:
  // `metrics` (firewarden_connections_*, firewarden_tls_handshake_failures_total)
  // must outlive the server.
  Server(net::io_context& io, ServerOptions options, RequestHandler& handler,
         const telemetry::MetricCatalogue& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (throws std::runtime_error naming the address on
  // failure), then accepts until stop_accepting().
  void start();
  net::ip::tcp::endpoint local_endpoint() const;

  // Graceful stop, step by step (SPEC §11): stop accepting; then every
  // connection closes after its in-flight request, idle ones at once.
  void stop_accepting();
  void drain();
  // Last resort after shutdown_grace: close every connection.
  void close_all();

  std::size_t active_connections() const;

  struct Session;  // one connection's shared state (session.hpp)

 private:
  // firewarden_connections_*: what happened to connections (server_overload.cpp).
  struct ConnectionCounters {
    explicit ConnectionCounters(const telemetry::MetricCatalogue& metrics);
    telemetry::Gauge& active;
    telemetry::Counter& accepted;
    telemetry::Counter& refused_max_connections;
    telemetry::Counter& closed_header_timeout;
    telemetry::Counter& closed_idle_timeout;
    telemetry::Counter& closed_tls_handshake_timeout;
    telemetry::Counter& closed_tls_handshake_failure;
    telemetry::Counter& closed_http2_protocol_error;
    telemetry::Counter& closed_http2_flood;
    telemetry::Counter& closed_http2_rapid_reset;
    telemetry::Counter& closed_http2_write_timeout;
  };
  bool overloaded() const;
  std::chrono::milliseconds header_timeout() const;
  std::chrono::milliseconds idle_timeout() const;
  void reduce_timeouts();

  net::awaitable<void> accept_loop();
  net::any_io_executor next_executor();
  net::awaitable<void> run_session(std::shared_ptr<Session> session);
  net::awaitable<bool> handshake(Session& session);
  net::awaitable<boost::system::error_code> wait_for_request(Session& session,
                                                             beast::flat_buffer& buffer);
  net::awaitable<boost::system::error_code> read_request(Session& session,
                                                         beast::flat_buffer& buffer,
                                                         RequestParser& parser);
  net::awaitable<void> refuse_unreadable(Connection& connection, ClientStream& client,
                                         const boost::system::error_code& error);
  net::awaitable<void> close_politely(ClientStream& client);
  // HTTP/2 (http2_server.cpp): which protocol a connection speaks, and the
  // connection's HTTP/2 session with a handler coroutine per stream.
  net::awaitable<bool> wants_http2(Session& session, beast::flat_buffer& buffer,
                                   boost::system::error_code& error);
  net::awaitable<void> serve_http2(std::shared_ptr<Session> session, std::string received);
  void count_http2_end(int reason);

  net::io_context& io_;
  ServerOptions options_;
  RequestHandler& handler_;
  telemetry::Family<telemetry::Counter>& handshake_failures_;  // counted for every listener
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> draining_{false};
  // Never rendered: the connection counters when !options_.count_connections.
  telemetry::Registry uncounted_registry_;
  telemetry::MetricCatalogue uncounted_{uncounted_registry_};
  ConnectionCounters counters_;
  std::size_t overload_connections_;  // open connections from which overload applies
  std::atomic<std::size_t> open_connections_{0};
  std::chrono::steady_clock::time_point last_reduction_{};  // accept loop only
  std::size_t next_worker_ = 0;                             // accept loop only
  std::atomic<std::uint64_t> next_connection_id_{1};
  mutable std::mutex sessions_mutex_;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions_;
};

}  // namespace firewarden::transport
