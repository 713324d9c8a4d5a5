#include "firewarden/net/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include "firewarden/net/server_tls.hpp"
#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::transport {

// One connection's state shared between its session coroutine (on the
// connection's strand) and the server (drain, close_all). `idle` is only read
// and written on the strand.
struct Server::Session {
  Session(std::uint64_t id, net::any_io_executor strand_executor, net::ip::tcp::socket socket,
          std::shared_ptr<ssl::context> context)
      : strand(std::move(strand_executor)),
        client(context ? ClientStream(std::move(socket), context->native_handle())
                       : ClientStream(std::move(socket))),
        tls_context(std::move(context)) {
    connection.id = id;
  }
  net::any_io_executor strand;  // the io_context's own executor when it has one thread
  ClientStream client;
  std::shared_ptr<ssl::context> tls_context;  // kept alive for this connection's lifetime
  Connection connection;
  bool idle = true;  // waiting for the next request's first bytes
};

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

// What a read error becomes for the client, if anything is still worth
// sending (a timeout or a vanished peer gets nothing).
std::optional<UnreadableRequest> unreadable_request(const boost::system::error_code& error) {
  // RFC 6585 §5: 431 for a head too large (the whole head here: read_head).
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

// Framing that Beast's parser tolerates but a proxy in front of other HTTP
// parsers must refuse (request smuggling; RFC 9112 §3.2, §6.1, §6.3). Beast
// reads `Transfer-Encoding: xchunked` or `chunked, identity` as "no body" and
// would take the body for the next request; it merges repeated or listed
// Content-Length values and accepts any number of Host fields.
boost::system::error_code framing_error(const http::request_parser<http::string_body>& parser) {
  const auto& header = parser.get();
  const auto codings = header.equal_range(http::field::transfer_encoding);
  if (codings.first != codings.second) {
    // Only one field, exactly `chunked`: any other coding is one the proxy
    // would not decode, chunked not last leaves the length unknown (§6.3),
    // and Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1).
    if (std::next(codings.first) != codings.second || header.version() < 11 || !parser.chunked() ||
        !beast::iequals(codings.first->value(), "chunked")) {
      return http::error::bad_transfer_encoding;
    }
  }
  const auto lengths = header.equal_range(http::field::content_length);
  if (lengths.first != lengths.second) {
    const std::string_view value = lengths.first->value();
    if (std::next(lengths.first) != lengths.second || value.empty() ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      return http::error::bad_content_length;
    }
  }
  const auto hosts = header.equal_range(http::field::host);
  const auto host_fields = std::distance(hosts.first, hosts.second);
  if (host_fields > 1 || (header.version() >= 11 && host_fields == 0)) {
    return http::error::bad_field;  // exactly one Host in HTTP/1.1 (§3.2)
  }
  return {};
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

// Reads a request head into `parser`, refusing it (header_limit) once it
// exceeds `limit` bytes in total. Not http::async_read_header: Beast's
// parser consumes complete fields as it goes, and when a read happens to end
// within 3 bytes of a field's end it forgets where its search stopped, so its
// header_limit then counts only the bytes since — a header-field flood whose
// lines lined up with the reads went through whole (corpus
// http/header-count-flood failed under CPU load with 8 KiB reads). Counted
// here across every put instead.
net::awaitable<boost::system::error_code> read_head(ClientStream& client,
                                                    beast::flat_buffer& buffer,
                                                    http::request_parser<http::string_body>& parser,
                                                    std::uint64_t limit) {
  std::uint64_t consumed = 0;
  for (;;) {
    boost::system::error_code error = http::error::need_more;
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      consumed += used;
      if (error != http::error::need_more) co_return error;  // head done, or refused
    }
    if (consumed + buffer.size() >= limit) co_return http::error::header_limit;
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    boost::system::error_code read_error;
    std::size_t received = 0;
    // At once when the bytes are there (after the idle wait they usually
    // are); the asynchronous read waits for them otherwise.
    if (client.try_read_some(buffer.prepare(size), read_error, received) != Want::nothing) {
      std::tie(read_error, received) = co_await client.visit([&](auto& stream) {
        return stream.async_read_some(buffer.prepare(size), as_tuple(use_awaitable));
      });
    }
    buffer.commit(received);
    if (read_error == net::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      boost::system::error_code eof_error;
      parser.put_eof(eof_error);  // partial_message: the head was cut off
      co_return eof_error ? eof_error : http::error::partial_message;
    }
    if (read_error) co_return read_error;
  }
}

}  // namespace

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
               telemetry::Registry& metrics)
    : io_(io), options_(std::move(options)), handler_(handler), metrics_(metrics), acceptor_(io) {}

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

net::awaitable<void> Server::accept_loop() {
  auto& active =
      options_.count_connections
          ? metrics_.gauge("firewarden_connections_active", "Client connections currently open.")
                .with({})
          : uncounted_connections_;
  while (acceptor_.is_open()) {
    // One thread runs the io_context: its executor already serializes
    // everything, and a strand per connection would only add its queue and
    // lock to every completion (~10k instructions per request in callgrind).
    const net::any_io_executor strand = options_.single_thread
                                            ? net::any_io_executor(io_.get_executor())
                                            : net::any_io_executor(net::make_strand(io_));
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
    session->connection.peer = peer;
    session->connection.tls = static_cast<bool>(options_.tls_context);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.emplace(id, session);
    }
    active.add(1);
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
      active.add(-1);
    });
  }
}

net::awaitable<void> Server::run_session(std::shared_ptr<Session> session) {
  ClientStream& client = session->client;
  Connection& connection = session->connection;

  if (auto* tls = client.tls()) {
    client.tcp().expires_after(options_.header_timeout);
    auto [error, ignored] = co_await tls->async_handshake(as_tuple(use_awaitable));
    if (error) {
      const std::string reason = handshake_failure_reason(error, tls->native_handle());
      metrics_
          .counter("firewarden_tls_handshake_failures_total",
                   "TLS handshakes that failed, by reason.", {"reason"})
          .with({reason})
          .increment();
      spdlog::info("[c{}] TLS handshake from {} failed: {}", connection.id,
                   connection.peer.address().to_string(), reason);
      handler_.on_handshake_failed(connection, reason);
      co_return;
    }
    acknowledge_now(client.tcp().socket());
  }
  connection.state =
      handler_.on_connected(connection, client.tls() ? client.tls()->native_handle() : nullptr);

  // Bounded: the parser's header and body limits do not cover a chunk-size
  // line (Beast buffered a 20 MB chunk extension whole) or other unparsed
  // bytes. A head plus one read is the most a request legitimately needs
  // here; beyond that the read fails with buffer_overflow (400).
  beast::flat_buffer buffer(options_.max_header_bytes + kReadAheadBytes);
  bool keep_alive = true;
  while (keep_alive && !draining_) {
    // A fresh parser per message, limits set where it is made (STYLE.md 3).
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);

    // The first request must arrive within header_timeout; later ones may
    // idle for idle_timeout first. Either way a slow sender is bounded.
    session->idle = true;
    boost::system::error_code read_error;
    if (connection.requests > 0 && buffer.size() == 0) {
      // Keep-alive: the next request may take idle_timeout to begin; once
      // its first bytes are in, its head gets header_timeout like the first
      // one (a slow head after one quick request had idle + header time).
      // The wait holds no buffer (an idle connection costs its socket and
      // this coroutine, not 64 KiB of read-ahead); a TLS session that
      // already holds bytes of the next request needs no wait.
      buffer.shrink_to_fit();
      auto* tls = client.tls();
      if (tls == nullptr || !tls->has_pending()) {
        client.tcp().expires_after(options_.idle_timeout);
        auto [wait_error, ignored] =
            co_await client.tcp().async_wait_readable(as_tuple(use_awaitable));
        read_error = wait_error;
      }
    }
    if (buffer.capacity() == 0) buffer.reserve(kFirstReadBytes);
    if (!read_error) {
      client.tcp().expires_after(options_.header_timeout);
      read_error = co_await read_head(client, buffer, parser, options_.max_header_bytes);
    }
    session->idle = false;
    if (!read_error) read_error = framing_error(parser);
    if (!read_error && parser.content_length() &&
        *parser.content_length() > options_.max_body_bytes) {
      read_error = http::error::body_limit;  // refuse before reading the body
    }
    if (!read_error) {
      const auto expect = parser.get()[http::field::expect];
      // An HTTP/1.0 client cannot read an interim response, so for it the
      // expectation is ignored (RFC 9110 §10.1.1).
      if (beast::iequals(expect, "100-continue") && parser.get().version() >= 11) {
        http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
        client.tcp().expires_after(options_.header_timeout);
        auto [write_error, written] = co_await client.visit([&](auto& stream) {
          return http::async_write(stream, go_on, as_tuple(use_awaitable));
        });
        read_error = write_error;
      } else if (!expect.empty() && !beast::iequals(expect, "100-continue")) {
        read_error = http::error::bad_field;  // only 100-continue exists (RFC 9110 §10.1.1)
      }
    }
    const auto header_fields = std::distance(parser.get().begin(), parser.get().end());
    // A request without a body (a GET) is complete with its head: no body
    // read (an asynchronous operation that would only post its completion).
    if (!read_error && !parser.is_done()) {
      client.tcp().expires_after(options_.header_timeout);
      auto [body_error, body_bytes] = co_await client.visit([&](auto& stream) {
        return http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
      });
      read_error = body_error;
      // Beast merges the fields of a chunked trailer into the header fields,
      // where they would pass for headers (an x-forwarded-client-cert trailer
      // for the mesh's identity header, a Content-Type the head lacked).
      // Firestore clients send no trailers: refused.
      if (!read_error && std::distance(parser.get().begin(), parser.get().end()) != header_fields) {
        read_error = http::error::bad_field;
      }
    }
    if (read_error) {
      if (auto unreadable = unreadable_request(read_error)) {
        auto message = handler_.on_unreadable_request(connection, *unreadable);
        message.keep_alive(false);
        client.tcp().expires_after(options_.header_timeout);
        co_await client.visit([&](auto& stream) {
          return http::async_write(stream, message, as_tuple(use_awaitable));
        });
      } else if (!is_disconnect(read_error)) {
        spdlog::debug("[c{}] read failed: {}", connection.id, read_error.message());
      }
      break;
    }

    ++connection.requests;
    Request request = parser.release();
    keep_alive = co_await handler_.handle(connection, request, client);
  }

  // Close politely: TLS close_notify (bounded), then the TCP send side.
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
        // Idle keep-alive connections close now; busy ones after their
        // current response (the session loop checks draining_).
        if (session->idle) session->client.tcp().cancel();
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
