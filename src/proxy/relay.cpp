// Relaying upstream's response to the client, once its head was read: our
// own framing (hop-by-hop headers go), then the body streamed through,
// never held whole. The response of a write the caller may not read is
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

// Writes `data` to the client: at once when the socket takes it all (the
// common case: no asynchronous operation), the rest through async_write,
// which waits for the socket under client_write_timeout. For TLS a write
// OpenSSL could not finish is retried with the same remaining bytes.
net::awaitable<boost::system::error_code> write_to_client(transport::ClientStream& client,
                                                          net::const_buffer data,
                                                          std::chrono::milliseconds timeout) {
  client.tcp().expires_after(timeout);
  boost::system::error_code error;
  while (data.size() > 0) {
    std::size_t written = 0;
    if (client.try_write_some(data, error, written) != transport::Want::nothing) break;
    if (error) co_return error;
    data += written;
  }
  if (data.size() == 0) co_return error;
  auto [write_error, written] = co_await client.visit(
      [&](auto& stream) { return net::async_write(stream, data, as_tuple(use_awaitable)); });
  co_return write_error;
}

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
    Exchange& exchange, const transport::Request& request,
    std::unique_ptr<UpstreamConnection>& connection, std::optional<OperationDeadline>& deadline,
    http::response_parser<http::buffer_body>& parser, transport::ClientStream& client) {
  auto& response = parser.get();
  const bool upstream_keep_alive = response.keep_alive();
  const bool upstream_chunked = parser.chunked();
  const bool upstream_sized = parser.content_length().has_value();

  // Our own framing towards the client: hop-by-hop headers go, the length
  // stays when upstream gave one, chunked for HTTP/1.1 otherwise, and for an
  // HTTP/1.0 client an unsized body ends with the connection.
  strip_hop_by_hop(response.base());
  response.version(request.version());
  response.set("x-request-id", exchange.request_id());
  bool keep_alive = request.keep_alive() && !draining_;
  if (!upstream_sized) {
    if (request.version() >= 11 && (upstream_chunked || parser.is_done())) {
      response.chunked(true);
    } else {
      keep_alive = false;
    }
  }
  response.keep_alive(keep_alive);

  bool relayed = false;
  if (upstream_sized && !upstream_chunked && !parser.is_done()) {
    relayed = co_await relay_sized_body(exchange, *connection, *deadline, *parser.content_length(),
                                        response.base(), client);
  } else {
    http::response_serializer<http::buffer_body> serializer(response);
    client.tcp().expires_after(options_.client_write_timeout);
    auto [header_error, header_bytes] = co_await client.visit([&](auto& stream) {
      return http::async_write_header(stream, serializer, as_tuple(use_awaitable));
    });
    if (header_error) {
      fail(exchange, "client went away", header_error);
    } else {
      relayed =
          co_await relay_parsed_body(exchange, *connection, *deadline, parser, serializer, client);
    }
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
  co_return keep_alive;
}

// The common case (a Content-Length from upstream, kept towards the client):
// the response head, written out directly, leaves together with the body
// bytes that arrived with upstream's head (one buffer, one write, one TLS
// record for a small response); the rest is read from the upstream socket
// straight into one buffer and written from there, with no parser in
// between (the parser copied every byte once more) and in chunks as large
// as the socket offers. False when either side failed (record.error says
// which).
net::awaitable<bool> FirestoreProxy::relay_sized_body(
    Exchange& exchange, UpstreamConnection& connection, OperationDeadline& deadline,
    std::uint64_t length, const http::response_header<>& head, transport::ClientStream& client) {
  auto& record = exchange.record;
  const auto first =
      static_cast<std::size_t>(std::min<std::uint64_t>(connection.buffer.size(), length));
  record.bytes_out += first;
  {
    std::string out;
    out.reserve(512 + first);
    append_response_head(out, head);
    out.append(static_cast<const char*>(connection.buffer.data().data()), first);
    const auto write_error =
        co_await write_to_client(client, net::buffer(out), options_.client_write_timeout);
    if (write_error) {
      fail(exchange, "client went away", write_error);
      co_return false;
    }
  }
  connection.buffer.consume(first);
  std::uint64_t remaining = length - first;
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
    const auto write_error = co_await write_to_client(client, net::buffer(chunk.get(), read_bytes),
                                                      options_.client_write_timeout);
    if (write_error) {
      fail(exchange, "client went away", write_error);
      co_return false;
    }
  }
  co_return true;
}

// Chunked or unsized upstream bodies: Beast's parser undoes upstream's
// framing, the serializer applies ours.
net::awaitable<bool> FirestoreProxy::relay_parsed_body(
    Exchange& exchange, UpstreamConnection& connection, OperationDeadline& deadline,
    http::response_parser<http::buffer_body>& parser,
    http::response_serializer<http::buffer_body>& serializer, transport::ClientStream& client) {
  auto& body = parser.get().body();
  // Not value-initialized: every byte sent is first read into it, and zeroing
  // it per response was measurable (bench/RESULTS.md).
  auto chunk = std::make_unique_for_overwrite<char[]>(kParsedChunkBytes);
  for (;;) {
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
      body.size = kParsedChunkBytes - body.size;
      body.data = chunk.get();
      body.more = !parser.is_done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    exchange.record.bytes_out += body.size;
    if (!co_await write_serialized(exchange, serializer, client)) co_return false;
    if (serializer.is_done()) co_return true;
  }
}

// Writes what the serializer has ready (head and/or body) within
// client_write_timeout; need_buffer only means the body has more to come.
net::awaitable<bool> FirestoreProxy::write_serialized(
    Exchange& exchange, http::response_serializer<http::buffer_body>& serializer,
    transport::ClientStream& client) {
  client.tcp().expires_after(options_.client_write_timeout);
  auto [error, written] = co_await client.visit(
      [&](auto& stream) { return http::async_write(stream, serializer, as_tuple(use_awaitable)); });
  if (error && error != http::error::need_buffer) {
    fail(exchange, "client went away", error);
    co_return false;
  }
  co_return true;
}

}  // namespace firewarden::proxy
