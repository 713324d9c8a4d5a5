// The data-plane listener: accept loop, handshake, and the HTTP/1.1 session
// loop (HTTP/2 connections are handed to http2_server.cpp). Just over 350
// lines: the session loop reads top to bottom with its read and refusal steps
// next to it.
#include "firewarden/net/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "firewarden/net/request_reader.hpp"
#include "firewarden/net/server_tls.hpp"
#include "firewarden/telemetry/metrics.hpp"
#include "session.hpp"

namespace firewarden::transport {

namespace {

using net::as_tuple;
using net::use_awaitable;

// Unparsed bytes the connection buffer may hold beyond a full request head.
constexpr std::size_t kReadAheadBytes = 64 * 1024;
// What the buffer is given for a request's first read: a typical head (and a
// small body) in one receive. It is released again while the connection idles.
constexpr std::size_t kFirstReadBytes = 8 * 1024;

// Errors that only mean "the peer went away"; never worth a warning. A
// client that closes mid-message (partial_message: Beast's eof after some of
// a head or body) vanished too: nobody is left to read a 400.
bool is_disconnect(const boost::system::error_code& error) {
  return error == http::error::end_of_stream || error == http::error::partial_message ||
         error == net::error::eof || error == net::error::connection_reset ||
         error == net::error::broken_pipe || error == net::error::operation_aborted ||
         error == ssl::error::stream_truncated || error == beast::error::timeout;
}

}  // namespace

std::optional<UnreadableRequest> unreadable_request(const boost::system::error_code& error) {
  // RFC 6585 §5: 431 for a head too large (the whole head here: read_request_head).
  if (error == http::error::header_limit) {
    return UnreadableRequest{error, 431, "request header fields too large"};
  }
  if (error == http::error::body_limit) {
    return UnreadableRequest{error, 413, "request body exceeds the size limit"};
  }
  if (is_disconnect(error)) return std::nullopt;
  // Anything Beast's strict parser or framing_error refuses (bad framing,
  // conflicting Content-Length/Transfer-Encoding, bad chunk sizes …) is
  // refused, and the connection closed: after a framing error the byte stream
  // is unreliable. (obs-fold is not refused: Beast replaces it with spaces,
  // as RFC 9112 §5.2 allows, and only the unfolded value is ever used.)
  return UnreadableRequest{error, 400, "malformed HTTP request: " + error.message()};
}

// The server has nothing to send after a TLS 1.3 client's Finished (no
// session tickets), so the kernel would delay its ACK (~40 ms); a client
// with Nagle's algorithm on then holds its first request until that ACK
// arrives (load test: 40 ms per new connection). TCP_QUICKACK sends the
// pending ACK now.
void acknowledge_now(net::ip::tcp::socket& socket) {
  const int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

http::response<http::string_body> RequestHandler::on_unreadable_request(
    const Connection& /*connection*/, const UnreadableRequest& unreadable) {
  http::response<http::string_body> response{static_cast<http::status>(unreadable.status), 11};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = unreadable.reason + "\n";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

Server::Server(net::io_context& io, ServerOptions options, RequestHandler& handler,
               const telemetry::MetricCatalogue& metrics)
    : io_(io),
      options_(std::move(options)),
      handler_(handler),
      handshake_failures_(metrics.tls_handshake_failures_total),
      acceptor_(io),
      counters_(options_.count_connections ? metrics : uncounted_),
      overload_connections_(std::max<std::size_t>(
          1, (std::size_t{options_.max_connections} * options_.overload_threshold_percent + 99) /
                 100)) {}

Server::~Server() = default;

void Server::start() {
  boost::system::error_code error;
  acceptor_.open(options_.address.protocol(), error);
  if (!error) acceptor_.set_option(net::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(options_.address, error);
  if (!error) acceptor_.listen(net::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + options_.address.address().to_string() + ":" +
                             std::to_string(options_.address.port()) + ": " + error.message());
  }
  net::co_spawn(io_, accept_loop(), [](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("accept loop failed: {}", e.what());
    }
  });
}

net::ip::tcp::endpoint Server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::size_t Server::active_connections() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

// A worker's executor (round-robin), or without workers a strand of the
// listener's io_context. One thread per io_context: its executor already
// serializes everything, and a strand per connection would only add its
// queue and lock to every completion (~10k instructions per request in
// callgrind).
net::any_io_executor Server::next_executor() {
  if (!options_.workers.empty()) {
    const auto& worker = options_.workers[next_worker_];
    next_worker_ = (next_worker_ + 1) % options_.workers.size();
    return worker;
  }
  if (options_.single_thread) return io_.get_executor();
  return net::make_strand(io_);
}

net::awaitable<void> Server::accept_loop() {
  auto& active = counters_.active;
  while (acceptor_.is_open()) {
    // The socket is made on its worker's io_context: its reads and timers
    // complete there, never on the listener's thread.
    const net::any_io_executor strand = next_executor();
    auto [error, socket] = co_await acceptor_.async_accept(strand, as_tuple(use_awaitable));
    if (error) {
      if (error == net::error::operation_aborted || !acceptor_.is_open()) break;
      // EMFILE and friends: log and back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", error.message());
      net::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(as_tuple(use_awaitable));
      continue;
    }
    if (active_connections() >= options_.max_connections) {
      // Over the limit: refuse by closing at once; a bounded cost per attempt.
      spdlog::debug("connection refused: max_connections ({}) reached", options_.max_connections);
      counters_.refused_max_connections.increment();
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    const std::uint64_t id = next_connection_id_++;
    boost::system::error_code peer_error;
    const auto peer = socket.remote_endpoint(peer_error);
    socket.set_option(net::ip::tcp::no_delay(true), peer_error);

    auto session = std::make_shared<Session>(
        id, strand, std::move(socket),
        options_.tls_context ? options_.tls_context() : std::shared_ptr<ssl::context>());
    if (options_.http2 && session->client.tls())
      offer_http2(session->client.tls()->native_handle());
    session->connection.peer = peer;
    session->connection.tls = static_cast<bool>(options_.tls_context);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.emplace(id, session);
    }
    counters_.accepted.increment();
    active.add(1);
    if (open_connections_.fetch_add(1, std::memory_order_relaxed) + 1 == overload_connections_) {
      reduce_timeouts();
    }
    net::co_spawn(strand, run_session(session), [this, id, &active](std::exception_ptr failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          spdlog::error("[c{}] session failed: {}", id, e.what());
        }
      }
      std::lock_guard lock(sessions_mutex_);
      sessions_.erase(id);
      open_connections_.fetch_sub(1, std::memory_order_relaxed);
      active.add(-1);
    });
  }
}

net::awaitable<void> Server::run_session(std::shared_ptr<Session> session) {
  ClientStream& client = session->client;
  Connection& connection = session->connection;

  if (client.tls() && !co_await handshake(*session)) co_return;
  connection.state =
      handler_.on_connected(connection, client.tls() ? client.tls()->native_handle() : nullptr);

  // Bounded: the parser's header and body limits do not cover a chunk-size
  // line (Beast buffered a 20 MB chunk extension whole) or other unparsed
  // bytes. A head plus one read is the most a request legitimately needs
  // here; beyond that the read fails with buffer_overflow (400).
  beast::flat_buffer buffer(options_.max_header_bytes + kReadAheadBytes);
  boost::system::error_code preface_error;
  if (co_await wants_http2(*session, buffer, preface_error)) {
    const auto bytes = buffer.data();
    std::string received(static_cast<const char*>(bytes.data()), bytes.size());
    // The first read's buffer is the HTTP/1.1 parser's; an HTTP/2
    // connection reads into its own and would keep this one (8 KiB) idle.
    buffer.clear();
    buffer.shrink_to_fit();
    co_await serve_http2(session, std::move(received));
    co_await close_politely(client);
    co_return;
  }
  if (preface_error) {
    co_await refuse_unreadable(connection, client, preface_error);
    co_await close_politely(client);
    co_return;
  }
  bool keep_alive = true;
  while (keep_alive && !draining_) {
    RequestParser parser;
    auto error = co_await wait_for_request(*session, buffer);
    if (!error) error = co_await read_request(*session, buffer, parser);
    if (error) {
      co_await refuse_unreadable(connection, client, error);
      break;
    }
    session->wait = Session::Wait::handler;  // untimed: the handler has its own deadlines
    ++connection.requests;
    Request request = parser.release();
    keep_alive = co_await handler_.handle(connection, request, client);
  }
  co_await close_politely(client);
}

// The first request must arrive within header_timeout (read_request);
// later ones may idle for idle_timeout first. Either way a slow sender is
// bounded.
net::awaitable<boost::system::error_code> Server::wait_for_request(Session& session,
                                                                   beast::flat_buffer& buffer) {
  ClientStream& client = session.client;
  session.begin(Session::Wait::idle);
  boost::system::error_code error;
  if (session.connection.requests > 0 && buffer.size() == 0) {
    // Keep-alive: the next request may take idle_timeout to begin; once
    // its first bytes are in, its head gets header_timeout like the first
    // one (a slow head after one quick request had idle + header time).
    // The wait holds no buffer (an idle connection costs its socket and
    // this coroutine, not 64 KiB of read-ahead); a TLS session that
    // already holds bytes of the next request needs no wait.
    buffer.shrink_to_fit();
    auto* tls = client.tls();
    if (tls == nullptr || !tls->has_pending()) {
      client.tcp().expires_after(idle_timeout());
      auto [wait_error, ignored] =
          co_await client.tcp().async_wait_readable(as_tuple(use_awaitable));
      error = wait_error;
      if (error == beast::error::timeout) counters_.closed_idle_timeout.increment();
    }
  }
  if (buffer.capacity() == 0) buffer.reserve(kFirstReadBytes);
  co_return error;
}

// One request, head then body, each within header_timeout as the load is
// now (overload cuts it). From its complete head on, a drain lets it finish.
net::awaitable<boost::system::error_code> Server::read_request(Session& session,
                                                               beast::flat_buffer& buffer,
                                                               RequestParser& parser) {
  const RequestLimits limits{options_.max_header_bytes, options_.max_body_bytes, header_timeout()};
  limit_parser(parser, limits);
  session.begin(Session::Wait::head);
  auto error = co_await read_request_head(session.client, buffer, parser, limits);
  // The body keeps the head's start: a cut never waits longer for it.
  session.wait = Session::Wait::body;
  if (!error) error = co_await read_request_body(session.client, buffer, parser, limits);
  if (error == beast::error::timeout) counters_.closed_header_timeout.increment();
  co_return error;
}

// A request that could not be read is answered (the handler words it) when
// anyone is left to read the answer; the connection then closes either way.
net::awaitable<void> Server::refuse_unreadable(Connection& connection, ClientStream& client,
                                               const boost::system::error_code& error) {
  if (auto unreadable = unreadable_request(error)) {
    auto message = handler_.on_unreadable_request(connection, *unreadable);
    message.keep_alive(false);
    client.tcp().expires_after(options_.header_timeout);
    co_await client.visit(
        [&](auto& stream) { return http::async_write(stream, message, as_tuple(use_awaitable)); });
  } else if (!is_disconnect(error)) {
    spdlog::debug("[c{}] read failed: {}", connection.id, error.message());
  }
}

// mtls: the TLS handshake, within header_timeout (cut under overload). A
// failure is counted by reason and ends the connection.
net::awaitable<bool> Server::handshake(Session& session) {
  ClientStream& client = session.client;
  const Connection& connection = session.connection;
  auto* tls = client.tls();
  session.begin(Session::Wait::handshake);
  client.tcp().expires_after(header_timeout());
  auto [error, ignored] = co_await tls->async_handshake(as_tuple(use_awaitable));
  if (error) {
    const std::string reason = handshake_failure_reason(error, tls->native_handle());
    (reason == "timeout" ? counters_.closed_tls_handshake_timeout
                         : counters_.closed_tls_handshake_failure)
        .increment();
    handshake_failures_.with({reason}).increment();
    spdlog::info("[c{}] TLS handshake from {} failed: {}", connection.id,
                 connection.peer.address().to_string(), reason);
    handler_.on_handshake_failed(connection, reason);
    co_return false;
  }
  acknowledge_now(client.tcp().socket());
  co_return true;
}

// Close politely: TLS close_notify (bounded), then the TCP send side.
net::awaitable<void> Server::close_politely(ClientStream& client) {
  if (auto* tls = client.tls()) {
    client.tcp().expires_after(std::chrono::seconds(1));
    co_await tls->async_shutdown(as_tuple(use_awaitable));
  }
  boost::system::error_code ignored;
  client.tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  client.tcp().close();
}

void Server::stop_accepting() {
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

void Server::drain() {
  draining_ = true;
  std::lock_guard lock(sessions_mutex_);
  for (auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) {
      net::post(session->strand, [session] {
        // HTTP/2: GOAWAY, then the open streams finish.
        if (session->http2) return session->http2->shutdown();
        // Idle keep-alive connections close now; busy ones after their
        // current response (the session loop checks draining_).
        const auto wait = session->wait;
        if (wait == Session::Wait::handshake || wait == Session::Wait::idle ||
            wait == Session::Wait::head) {
          session->client.tcp().cancel();
        }
      });
    }
  }
}

void Server::close_all() {
  draining_ = true;
  std::lock_guard lock(sessions_mutex_);
  for (auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) {
      net::post(session->strand, [session] { session->client.tcp().close(); });
    }
  }
}

}  // namespace firewarden::transport
