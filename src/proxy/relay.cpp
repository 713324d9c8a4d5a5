// Relaying upstream's response to the client, once its head was read:
// hop-by-hop headers go, then the body streamed through, never held whole,
// to the response sink of whichever protocol the client speaks (the sink
// frames it). The response of a write the caller may not read is
// relayed by write_response_relay.cpp instead.
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/proxy/header_hygiene.hpp"

namespace firewarden::proxy {

using net::as_tuple;
using net::use_awaitable;

namespace {

// Read size of the sized-body relay: 4 TLS records; one recv(2) and one
// coroutine round trip per 64 KiB of a large response (mix (c): 1 MB).
constexpr std::size_t kRelayChunkBytes = 64 * 1024;
// Body bytes per parser round for chunked or unsized upstream bodies.
constexpr std::size_t kParsedChunkBytes = 16 * 1024;

// Mid-stream failure: the status line is already out, so the only honest
// signal left is an incomplete body and a closed connection.
void upstream_failed_mid_response(FirestoreProxy::Exchange& exchange,
                                  const OperationDeadline& deadline,
                                  const boost::system::error_code& error) {
  fail(exchange, "upstream failed mid-response", deadline.fired() ? "timeout" : error.message());
  spdlog::warn("{} {}", exchange.log_prefix(), exchange.record.error);
}

}  // namespace

net::awaitable<bool> FirestoreProxy::relay_response(
    Exchange& exchange, std::unique_ptr<UpstreamConnection>& connection,
    std::optional<OperationDeadline>& deadline, http::response_parser<http::buffer_body>& parser,
    transport::ResponseSink& sink) {
  auto& response = parser.get();
  const bool upstream_keep_alive = response.keep_alive();
  // The body's length when upstream gave one (or, complete with its head,
  // has none); the sink frames the rest.
  std::optional<std::uint64_t> length;
  if (parser.content_length()) length = *parser.content_length();
  if (!length && !parser.chunked() && parser.is_done()) length = 0;

  // Hop-by-hop headers go; the sink sets its protocol's framing.
  strip_hop_by_hop(response.base());
  response.set("x-request-id", exchange.request_id());
  bool relayed = false;
  if (const auto head_error = co_await sink.write_head(response.base(), length, !draining_)) {
    fail(exchange, "client went away", head_error);
  } else if (length && !parser.is_done()) {
    relayed = co_await relay_sized_body(exchange, *connection, *deadline, *length, sink);
  } else {
    relayed = co_await relay_parsed_body(exchange, *connection, *deadline, parser, sink);
  }
  if (!relayed) {
    finish(exchange);
    co_return false;  // the upstream connection is dropped with the lease
  }
  // Reused only when exactly the response was read: nothing left over. The
  // deadline goes first: it must never guard a connection another request
  // has leased.
  deadline.reset();
  if (upstream_keep_alive && connection->buffer.size() == 0) {
    upstream_.release(std::move(connection));
  }
  finish(exchange);
  co_return true;
}

// The common case (a Content-Length from upstream): the body bytes that
// arrived with upstream's head go first (with the head, for HTTP/1.1 one
// buffer, one write, one TLS record for a small response); the rest is read
// from the upstream socket straight into one buffer and written from there,
// with no parser in between (the parser copied every byte once more) and in
// chunks as large as the socket offers. False when either side failed
// (record.error says which).
net::awaitable<bool> FirestoreProxy::relay_sized_body(Exchange& exchange,
                                                      UpstreamConnection& connection,
                                                      OperationDeadline& deadline,
                                                      std::uint64_t length,
                                                      transport::ResponseSink& sink) {
  auto& record = exchange.record;
  const auto first =
      static_cast<std::size_t>(std::min<std::uint64_t>(connection.buffer.size(), length));
  record.bytes_out += first;
  std::uint64_t remaining = length - first;
  const auto first_error =
      co_await sink.write_body(net::buffer(connection.buffer.data().data(), first), remaining == 0);
  if (first_error) {
    fail(exchange, "client went away", first_error);
    co_return false;
  }
  connection.buffer.consume(first);
  if (remaining == 0) co_return true;
  // Not value-initialized: every byte sent is first read into it.
  auto chunk = std::make_unique_for_overwrite<char[]>(kRelayChunkBytes);
  while (remaining > 0) {
    deadline.start();
    auto [read_error, read_bytes] = co_await connection.visit([&](auto& stream) {
      return stream.async_read_some(
          net::buffer(chunk.get(), std::min<std::uint64_t>(kRelayChunkBytes, remaining)),
          as_tuple(use_awaitable));
    });
    deadline.stop();
    if (read_error) {
      upstream_failed_mid_response(exchange, deadline, read_error);
      co_return false;
    }
    remaining -= read_bytes;
    record.bytes_out += read_bytes;
    const auto write_error =
        co_await sink.write_body(net::buffer(chunk.get(), read_bytes), remaining == 0);
    if (write_error) {
      fail(exchange, "client went away", write_error);
      co_return false;
    }
  }
  co_return true;
}

// Chunked or unsized upstream bodies: Beast's parser undoes upstream's
// framing, the sink applies ours.
net::awaitable<bool> FirestoreProxy::relay_parsed_body(
    Exchange& exchange, UpstreamConnection& connection, OperationDeadline& deadline,
    http::response_parser<http::buffer_body>& parser, transport::ResponseSink& sink) {
  auto& body = parser.get().body();
  // Not value-initialized: every byte sent is first read into it, and zeroing
  // it per response was measurable (bench/RESULTS.md).
  auto chunk = std::make_unique_for_overwrite<char[]>(kParsedChunkBytes);
  for (;;) {
    std::size_t size = 0;
    if (!parser.is_done()) {
      body.data = chunk.get();
      body.size = kParsedChunkBytes;
      deadline.start();
      auto [read_error, read_bytes] = co_await connection.visit([&](auto& stream) {
        return http::async_read(stream, connection.buffer, parser, as_tuple(use_awaitable));
      });
      deadline.stop();
      if (read_error && read_error != http::error::need_buffer) {
        upstream_failed_mid_response(exchange, deadline, read_error);
        co_return false;
      }
      size = kParsedChunkBytes - body.size;
    }
    const bool last = parser.is_done();
    if (size == 0 && !last) continue;
    exchange.record.bytes_out += size;
    const auto write_error = co_await sink.write_body(net::buffer(chunk.get(), size), last);
    if (write_error) {
      fail(exchange, "client went away", write_error);
      co_return false;
    }
    if (last) co_return true;
  }
}

}  // namespace firewarden::proxy
