// Sending the authorized request upstream and reading the response head:
// a pooled or new connection, one deadline for the write and the head, and
// one retry when a pooled connection turns out stale before a byte of the
// request left. The body is relayed by relay.cpp (or, for a write whose
// response must be cut, write_response_relay.cpp).
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/proxy/header_hygiene.hpp"

namespace firewarden::proxy {

using net::as_tuple;
using net::use_awaitable;

namespace {

// Room for upstream's response head and, usually, its whole body: Beast
// reads into a flat_buffer's free capacity (512 bytes when empty), which cut
// a 1 KB document into two recv(2)s and two TLS records towards the client,
// and a streamed body into ~1 KiB per recv(2) and coroutine round trip
// (bench: 1 MB runQuery). Reserved before the response head is read, so it
// serves every read of the exchange. The capacity stays with the pooled
// connection (at most max_idle_connections x 16 KiB).
constexpr std::size_t kUpstreamReadBytes = 16 * 1024;

}  // namespace

net::awaitable<bool> FirestoreProxy::forward(Exchange& exchange, transport::Request& request,
                                             firestore::RequestModel& model,
                                             const std::string& token,
                                             std::optional<WriteResponse> cut,
                                             transport::ResponseSink& sink) {
  auto& record = exchange.record;
  // firewarden is a hop of the trace: upstream sees our span as its parent.
  const std::string traceparent = exchange.trace.traceparent();
  const std::string cloud_trace_context = exchange.trace.cloud_trace_context();
  const std::string upstream_request = upstream_request_bytes(
      request, model.upstream_target, model.upstream_body,
      UpstreamHeaders{options_.upstream_authority, token, traceparent, cloud_trace_context,
                      exchange.request_id(), model.upstream_resource_prefix,
                      model.upstream_request_params, exchange.trace.from_traceparent});
  const auto executor = co_await net::this_coro::executor;
  const auto upstream_started = Clock::now();

  std::unique_ptr<UpstreamConnection> connection;
  // One deadline per operation on the upstream connection (the request
  // write and response head together, then each body read), one timer.
  std::optional<OperationDeadline> deadline;
  http::response_parser<http::buffer_body> parser;
  // A stale pooled connection is retried once, and only when not a byte of
  // the request went out on it.
  for (int attempt = 0;; ++attempt) {
    auto acquired = co_await upstream_.acquire();
    if (auto* failure = std::get_if<ConnectFailure>(&acquired)) {
      co_return co_await respond_error(
          exchange, firestore::ApiError::bad_gateway("Firestore unreachable: " + failure->message),
          sink);
    }
    connection = std::move(std::get<std::unique_ptr<UpstreamConnection>>(acquired));
    (connection->reused ? upstream_reused_ : upstream_new_).increment();
    record.upstream_reused = connection->reused;
    deadline.reset();
    deadline.emplace(executor, options_.request_timeout, connection->socket());
    deadline->start();
    auto [write_error, written] = co_await connection->visit([&](auto& stream) {
      return net::async_write(stream, net::buffer(upstream_request), as_tuple(use_awaitable));
    });
    if (write_error && !deadline->fired() && written == 0 && connection->reused && attempt == 0) {
      spdlog::debug("{} stale upstream connection, retrying", exchange.log_prefix());
      continue;
    }
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // streamed through, never held whole
    boost::system::error_code read_error = write_error;
    if (!write_error) {
      connection->buffer.reserve(kUpstreamReadBytes);
      auto [error, ignored] = co_await connection->visit([&](auto& stream) {
        return http::async_read_header(stream, connection->buffer, parser, as_tuple(use_awaitable));
      });
      read_error = error;
    }
    deadline->stop();
    if (read_error) {
      const bool timed_out = deadline->fired();
      spdlog::warn("{} upstream {}: {}", exchange.log_prefix(), timed_out ? "timed out" : "failed",
                   read_error.message());
      // Named, not a temporary of ?: inside the co_await: GCC 12 destroys
      // such a temporary twice in a coroutine (munmap_chunk() abort on the
      // first upstream failure).
      const auto error =
          timed_out ? firestore::ApiError::deadline_exceeded("Firestore did not answer in time")
                    : firestore::ApiError::bad_gateway("Firestore connection failed: " +
                                                       read_error.message());
      co_return co_await respond_error(exchange, error, sink);
    }
    break;
  }

  const double upstream_seconds =
      std::chrono::duration<double>(Clock::now() - upstream_started).count();
  upstream_duration_.observe(upstream_seconds);
  record.upstream_ms = upstream_seconds * 1000;

  const auto& response = parser.get();
  record.upstream_status = response.result_int();
  record.status = response.result_int();
  // Only a success carries the written document; errors pass as they are.
  if (cut && response.result_int() / 100 == 2) {
    co_return co_await relay_cut_response(exchange, connection, deadline, parser, *cut, sink);
  }
  co_return co_await relay_response(exchange, connection, deadline, parser, sink);
}

}  // namespace firewarden::proxy
