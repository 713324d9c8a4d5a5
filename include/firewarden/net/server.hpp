#pragma once
// The data-plane HTTP/1.1 server: accept loop, one strand per connection, a
// session coroutine per connection that reads requests one at a time (so
// pipelined requests are answered in order) and hands each complete request
// to the RequestHandler. Limits and deadlines of SPEC §2 `limits` are applied
// here, where the parser is made (STYLE.md 3).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "firewarden/firestore/api_error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_stream.hpp"
#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::telemetry {
class Registry;
}

namespace firewarden::transport {

using Request = http::request<http::string_body>;

// What is known about one client connection.
struct Connection {
  std::uint64_t id = 0;
  net::ip::tcp::endpoint peer;
  bool tls = false;
  // mtls: the identity from the verified client SVID, or why there is none
  // (the reason is the identity module's stable label).
  std::optional<identity::Identity> tls_identity;
  std::string tls_identity_error;
  // mtls: the client certificate's serial and SHA-256 fingerprint (lowercase
  // hex), for the access log.
  std::optional<std::string> tls_peer_serial;
  std::optional<std::string> tls_peer_sha256;
  std::uint64_t requests = 0;  // requests read so far on this connection
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // mtls: called once after a successful handshake; decides the connection's
  // identity from the verified peer chain.
  virtual void on_tls_established(Connection& connection, SSL* ssl) = 0;

  // Handles one complete request and writes exactly one response to
  // `client`. Returns whether the connection may stay open.
  virtual net::awaitable<bool> handle(Connection& connection, Request& request,
                                      ClientStream& client) = 0;

  // A request could not be read (too large, malformed): the server has
  // answered `error` and will close. For metrics and the access log.
  virtual void on_unreadable_request(const Connection& connection,
                                     const firestore::ApiError& error) = 0;

  // mtls: the handshake failed for `reason` (a stable label, as counted in
  // firewarden_tls_handshake_failures_total). For the access log.
  virtual void on_handshake_failed(const Connection& /*connection*/,
                                   const std::string& /*reason*/) {}
};

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
  // Counted in firewarden_connections_active (the data plane; not the admin
  // listener, whose /metrics request would otherwise count itself).
  bool count_connections = true;
  // Exactly one thread runs the io_context (`threads: 1`): connections run
  // on its executor directly instead of on a strand each.
  bool single_thread = false;
};

class Server {
 public:
  Server(net::io_context& io, ServerOptions options, RequestHandler& handler,
         telemetry::Registry& metrics);
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

  struct Session;  // one connection's shared state (server.cpp)

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> run_session(std::shared_ptr<Session> session);

  net::io_context& io_;
  ServerOptions options_;
  RequestHandler& handler_;
  telemetry::Registry& metrics_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> draining_{false};
  telemetry::Gauge uncounted_connections_;  // when !options_.count_connections
  std::atomic<std::uint64_t> next_connection_id_{1};
  mutable std::mutex sessions_mutex_;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions_;
};

// Google's JSON error shape as an HTTP response (SPEC §7).
http::response<http::string_body> error_response(const firestore::ApiError& error, unsigned version,
                                                 bool keep_alive);

}  // namespace firewarden::transport
