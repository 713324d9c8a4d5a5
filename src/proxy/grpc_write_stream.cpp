// Write, message by message (grpc_bidi.hpp runs the stream). Every
// WriteRequest, the handshake (database, no writes) included, is read and
// decided whole before any of it goes upstream, each write as in a Commit;
// a refused message ends the stream (PERMISSION_DENIED for a denial) and is
// not forwarded. Writes already forwarded stay done, as with any stream.
//
// A write the caller may make but whose result it may not read (the policy
// cuts the response of a Commit) is refused on this stream: a WriteResponse
// carries the same results a cut would have to remove, and this stream's
// responses are relayed as they come. Such callers use Commit.
#include "exchange.hpp"
#include "grpc_bidi.hpp"

namespace firewarden::proxy {

net::awaitable<void> FirestoreProxy::on_write_message(BidiCall& bidi, std::string_view message) {
  Exchange exchange = message_exchange(bidi, "write");
  auto& record = exchange.record;
  auto classified = firestore::classify_grpc(stream_request(bidi, message), options_.scope);
  if (const auto* error = std::get_if<firestore::ApiError>(&classified)) {
    co_return refuse_message(bidi, exchange, *error);
  }
  const auto& model = std::get<firestore::RequestModel>(classified);
  record_model(exchange, model);
  if (auto problem = check_stream_database(bidi, model))
    co_return refuse_message(bidi, exchange, *problem);
  const policy::Decision decision = policies_.current()->policy->decide(bidi.who, model);
  if (auto refusal = enforce_message(bidi, exchange, decision))
    co_return refuse_message(bidi, exchange, *refusal);
  if (needs_response_cut(model, decision)) {
    co_return refuse_message(
        bidi, exchange,
        firestore::ApiError::permission_denied(
            "the results of these writes may not be shown to " + bidi.who.spiffe_id +
            ", and a Write stream's responses are not cut; use Commit [request " +
            exchange.request_id() + "]"));
  }
  if (co_await send_upstream(bidi, model, decision)) {
    record.upstream_reused = bidi.call.exchange.record.upstream_reused;
  } else {
    record.error = "the stream ended before the message was forwarded";
  }
  finish_message(exchange);
}

}  // namespace firewarden::proxy
