// The relay for a write response the caller may not see whole (SPEC §4,
// what a write returns is a read). Every other response streams through
// relay.cpp untouched; this one is small (a document of at most
// 1 MiB, or a commit's write results), so it is read whole, within
// max_cut_response_bytes, cut by cut_write_response and sent with its own
// Content-Length. Nothing reaches the client before the cut succeeded, so
// every failure can still be a clean 502 (or 504) in Google's error shape.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "exchange.hpp"
#include "firewarden/proxy/header_hygiene.hpp"

namespace firewarden::proxy {

using net::as_tuple;
using net::use_awaitable;

namespace {

// A content coding other than identity (RFC 9110 §8.4.1) cannot be read as
// JSON. The upstream request asked for none; a response that has one anyway
// is refused rather than decoded.
bool has_content_coding(const http::fields& fields) {
  const auto codings = fields.equal_range(http::field::content_encoding);
  for (auto field = codings.first; field != codings.second; ++field) {
    if (!beast::iequals(field->value(), "identity")) return true;
  }
  return false;
}

// Why the head alone rules the response out, if it does.
std::optional<std::string> head_problem(const http::response_parser<http::buffer_body>& parser,
                                        std::uint64_t limit) {
  if (has_content_coding(parser.get().base())) return "it is content-encoded";
  if (parser.content_length() && *parser.content_length() > limit) {
    return "it is over " + std::to_string(limit) + " bytes";
  }
  return std::nullopt;
}

}  // namespace

net::awaitable<bool> FirestoreProxy::relay_cut_response(
    Exchange& exchange, std::unique_ptr<UpstreamConnection>& connection,
    std::optional<OperationDeadline>& deadline, http::response_parser<http::buffer_body>& parser,
    WriteResponse shape, transport::ResponseSink& sink) {
  auto& record = exchange.record;
  const std::uint64_t limit = options_.max_cut_response_bytes;
  // Errors are named before they are co_awaited (GCC 12 and temporaries in
  // a co_await expression, see forward in
  // upstream_exchange.cpp). On any of them the upstream
  // connection is dropped with the lease: its body may be unread.
  std::optional<firestore::ApiError> error;
  std::optional<std::string> problem = head_problem(parser, limit);

  std::optional<http::response<http::string_body>> response;
  bool upstream_keep_alive = false;
  if (!problem) {
    // The head is parsed and no body byte was taken yet: the parser changes
    // its body type (Beast's documented way), and body_limit bounds what is
    // held, whatever upstream's framing (sized, chunked, or until close).
    http::response_parser<http::string_body> whole(std::move(parser));
    whole.body_limit(limit);
    deadline->start();
    auto [read_error, read_bytes] = co_await connection->visit([&](auto& stream) {
      return http::async_read(stream, connection->buffer, whole, as_tuple(use_awaitable));
    });
    deadline->stop();
    if (read_error == http::error::body_limit) {
      problem = "it is over " + std::to_string(limit) + " bytes";
    } else if (read_error && deadline->fired()) {
      error = firestore::ApiError::deadline_exceeded("Firestore did not answer in time");
    } else if (read_error) {
      error =
          firestore::ApiError::bad_gateway("Firestore connection failed: " + read_error.message());
    } else {
      upstream_keep_alive = whole.keep_alive();
      response = whole.release();
    }
  }
  if (response) {
    auto cut = cut_write_response(shape, response->body(), limit);
    if (auto* failure = std::get_if<CutFailure>(&cut)) {
      problem = std::move(failure->reason);
    } else {
      response->body() = std::get<std::string>(std::move(cut));
    }
  }
  if (problem) {
    // The write has happened; what it returned cannot be shown safely.
    spdlog::warn("{} write response not relayed: {}", exchange.log_prefix(), *problem);
    error = firestore::ApiError::bad_gateway(
        "Firestore's response to this write could not be cut to what the caller may read: " +
        *problem);
  }
  if (error) co_return co_await respond_error(exchange, *error, sink);

  // Hop-by-hop headers go; the sink frames the cut body with its own
  // length.
  strip_hop_by_hop(response->base());
  response->set("x-request-id", exchange.request_id());
  record.bytes_out = response->body().size();

  // The whole upstream response was read: the connection may serve another.
  deadline.reset();
  if (upstream_keep_alive && connection->buffer.size() == 0) {
    upstream_.release(std::move(connection));
  }
  const auto write_error = co_await sink.write_response(*response, !draining_);
  if (write_error) fail(exchange, "client went away", write_error);
  finish(exchange);
  co_return !write_error;
}

}  // namespace firewarden::proxy
