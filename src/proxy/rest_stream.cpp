// A REST request over HTTP/2 (curl --http2, a mesh that speaks HTTP/2 to
// us): read whole from its stream, then the same data path as over
// HTTP/1.1 (serve_rest), its response written to the stream. Upstream it
// stays on the HTTP/1.1 pool: Firestore's REST API is HTTP/1.1 JSON, and
// the emulator's HTTP/2 side speaks only gRPC.
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/net/http2_request.hpp"

namespace firewarden::proxy {

net::awaitable<void> FirestoreProxy::serve_rest_stream(transport::Connection& connection,
                                                       transport::Http2Stream& stream) {
  const auto executor = co_await net::this_coro::executor;
  // The body must arrive within request_timeout: a client that stops
  // sending has its stream reset (HTTP/1.1: header_timeout on the
  // connection).
  transport::Deadline read_deadline(executor,
                                    [&stream] { stream.reset(transport::Http2Error::cancel); });
  read_deadline.expires_after(options_.request_timeout);
  auto read = co_await transport::read_http2_request(stream, options_.max_body_bytes);
  read_deadline.expires_never();

  transport::Http2ResponseSink sink(stream, executor, options_.client_write_timeout);
  if (const auto* lost = std::get_if<transport::Http2StreamLost>(&read)) {
    // Nobody is left to answer (as a client that closes mid-request over
    // HTTP/1.1); nghttp2 resets a stream whose DATA overruns its
    // Content-Length before the request reaches us.
    spdlog::debug("[c{} s{}] REST request not read: {}", connection.id, stream.id(),
                  lost->error.message());
    co_return;
  }
  if (const auto* unreadable = std::get_if<transport::UnreadableRequest>(&read)) {
    // Answered as over HTTP/1.1, and logged; a refusal before the body was
    // read leaves the rest to be discarded when the stream is released.
    auto response = on_unreadable_request(connection, *unreadable);
    co_await sink.write_response(response, true);
    co_return;
  }
  co_await serve_rest(connection, std::get<transport::Request>(read),
                      static_cast<std::uint64_t>(stream.id()), sink);
}

}  // namespace firewarden::proxy
