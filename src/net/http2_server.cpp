// HTTP/2 on the data-plane listener: which protocol a connection speaks
// (ALPN on TLS, the connection preface on plaintext), and its HTTP/2
// session with one handler coroutine per stream on the connection's strand.
#include <spdlog/spdlog.h>

#include <string_view>

#include "firewarden/net/server.hpp"
#include "firewarden/net/server_tls.hpp"
#include "http2_session.hpp"
#include "session.hpp"

namespace firewarden::transport {

namespace {

using net::as_tuple;
using net::use_awaitable;

// RFC 9113 §3.4: the client connection preface begins with these 24 octets.
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// What the first read asks for (a head usually arrives in one).
constexpr std::size_t kPrefaceReadBytes = 8 * 1024;

// The listener's client connection as the HTTP/2 session's byte stream.
class ClientTransport final : public h2::Transport {
 public:
  explicit ClientTransport(ClientStream& client) : client_(client) {}

  net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      net::mutable_buffer buffer) override {
    auto [error, bytes] = co_await client_.visit(
        [&](auto& stream) { return stream.async_read_some(buffer, as_tuple(use_awaitable)); });
    co_return std::pair{error, bytes};
  }

  net::awaitable<boost::system::error_code> write(net::const_buffer buffer) override {
    auto [error, bytes] = co_await client_.visit(
        [&](auto& stream) { return net::async_write(stream, buffer, as_tuple(use_awaitable)); });
    co_return error;
  }

  void close() override { client_.tcp().close(); }

  bool tries_reads() const override { return true; }
  Want try_read(net::mutable_buffer buffer, boost::system::error_code& error,
                std::size_t& bytes) override {
    return client_.try_read_some(buffer, error, bytes);
  }
  net::awaitable<boost::system::error_code> wait_ready(Want want) override {
    if (want == Want::read) {
      auto [error, ignored] = co_await client_.tcp().async_wait_readable(as_tuple(use_awaitable));
      co_return error;
    }
    // A TLS read that must write first (a key update's answer while the
    // socket's send buffer is full).
    auto [error] = co_await client_.tcp().socket().async_wait(net::socket_base::wait_write,
                                                              as_tuple(use_awaitable));
    co_return client_.tcp().wait_error(error);
  }

 private:
  ClientStream& client_;
};

// Tracks the connection's stream handlers, so the connection (which they
// refer to) outlives them.
struct HandlerCount {
  explicit HandlerCount(const net::any_io_executor& strand) : done(strand) {}
  int running = 0;
  net::steady_timer done;
};

// One stream's handler. A coroutine with parameters, not a lambda's: its
// frame holds what it uses.
net::awaitable<void> serve_stream(RequestHandler& handler, Connection& connection,
                                  std::shared_ptr<h2::StreamHandle> stream) {
  ++connection.requests;
  try {
    co_await handler.handle_stream(connection, *stream);
  } catch (...) {
    stream->reset(Http2Error::internal_error);
    throw;
  }
  // A stream the handler left unanswered (or half answered) is reset.
  if (!stream->finished()) stream->reset(Http2Error::internal_error);
}

}  // namespace

// TLS: the protocol ALPN selected. Plaintext: the first bytes; a client
// that opens with the preface speaks HTTP/2 (prior knowledge, RFC 9113
// §3.3), anything else is HTTP/1.1 and its bytes stay in `buffer` for the
// HTTP/1.1 parser. Bytes that begin like the preface and then differ are
// neither: `error` is set and the connection refused.
net::awaitable<bool> Server::wants_http2(Session& session, beast::flat_buffer& buffer,
                                         boost::system::error_code& error) {
  if (!options_.http2) co_return false;
  ClientStream& client = session.client;
  if (auto* tls = client.tls()) co_return negotiated_http2(tls->native_handle());
  session.begin(Session::Wait::head);
  client.tcp().expires_after(header_timeout());
  for (;;) {
    const std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
    const std::size_t compared = std::min(seen.size(), kPreface.size());
    if (seen.substr(0, compared) != kPreface.substr(0, compared)) {
      // "PRI" is no HTTP/1.1 method anyone sends us: a broken preface.
      if (compared >= 3 && seen.starts_with("PRI")) error = http::error::bad_method;
      co_return false;
    }
    if (compared == kPreface.size()) co_return true;
    auto [read_error, bytes] = co_await client.visit([&](auto& stream) {
      return stream.async_read_some(buffer.prepare(kPrefaceReadBytes), as_tuple(use_awaitable));
    });
    if (read_error) {
      if (read_error == beast::error::timeout) counters_.closed_header_timeout.increment();
      error = read_error;
      co_return false;
    }
    buffer.commit(bytes);
  }
}

net::awaitable<void> Server::serve_http2(std::shared_ptr<Session> session, std::string received) {
  ClientStream& client = session->client;
  client.tcp().expires_never();  // the HTTP/2 session keeps its own timeouts
  session->wait = Session::Wait::handler;
  h2::SessionSettings settings;
  settings.server = true;
  settings.limits = *options_.http2;
  settings.max_header_bytes = options_.max_header_bytes;
  settings.header_timeout = options_.header_timeout;
  settings.idle_timeout = options_.idle_timeout;
  settings.write_timeout = options_.idle_timeout;
  // Overload cuts the waits of HTTP/2 connections as of HTTP/1.1 ones (a
  // client holding an idle HTTP/2 connection holds a slot like any other):
  // a wait that begins while overloaded, and, through reduce_timeouts(),
  // one under way when overload begins.
  settings.overloaded = [this] { return overloaded(); };
  settings.overload_header_timeout = overload_timeout(options_.header_timeout);
  settings.overload_idle_timeout = overload_timeout(options_.idle_timeout);
  auto http2 = std::make_shared<h2::Session>(session->strand,
                                             std::make_unique<ClientTransport>(client), settings);
  session->http2 = http2;
  auto handlers = std::make_shared<HandlerCount>(session->strand);
  // Raw pointers: the session owns this callback, and both live until the
  // handlers ended (waited for below).
  http2->on_request = [this, session = session.get(), http2 = http2.get(),
                       handlers](const std::shared_ptr<h2::StreamState>& state) {
    if (draining_) http2->shutdown();
    ++handlers->running;
    net::co_spawn(
        session->strand,
        serve_stream(handler_, session->connection,
                     std::make_shared<h2::StreamHandle>(http2->shared_from_this(), state)),
        [handlers, id = session->connection.id](std::exception_ptr failure) {
          if (failure) {
            try {
              std::rethrow_exception(failure);
            } catch (const std::exception& e) {
              spdlog::error("[c{}] stream handler failed: {}", id, e.what());
            }
          }
          if (--handlers->running == 0) handlers->done.cancel();
        });
  };
  // Logged and counted like an HTTP/1.1 head too large (the handler's
  // response is not used: the session answered 431 in HTTP/2's own way).
  http2->on_header_overflow = [this, session = session.get()] {
    if (auto unreadable = unreadable_request(http::error::header_limit)) {
      handler_.on_unreadable_request(session->connection, *unreadable);
    }
  };
  co_await http2->run(std::move(received));
  while (handlers->running > 0) {
    handlers->done.expires_at(std::chrono::steady_clock::time_point::max());
    co_await handlers->done.async_wait(as_tuple(use_awaitable));
  }
  http2->on_request = nullptr;
  http2->on_header_overflow = nullptr;
  count_http2_end(static_cast<int>(http2->end_reason()));
  session->http2.reset();
}

void Server::count_http2_end(int reason) {
  switch (static_cast<h2::EndReason>(reason)) {
    case h2::EndReason::none:
      break;
    case h2::EndReason::header_timeout:
      counters_.closed_header_timeout.increment();
      break;
    case h2::EndReason::idle_timeout:
      counters_.closed_idle_timeout.increment();
      break;
    case h2::EndReason::write_timeout:
      counters_.closed_http2_write_timeout.increment();
      break;
    case h2::EndReason::protocol_error:
      counters_.closed_http2_protocol_error.increment();
      break;
    case h2::EndReason::flood:
      counters_.closed_http2_flood.increment();
      break;
    case h2::EndReason::rapid_reset:
      counters_.closed_http2_rapid_reset.increment();
      break;
  }
}

}  // namespace firewarden::transport
