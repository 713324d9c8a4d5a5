// Listen, target by target (grpc_bidi.hpp runs the stream).
//
// Each add_target is decided alone: an allowed one is forwarded and kept
// (target id -> what it requires); a denied one is not forwarded and the
// client gets ListenResponse{target_change{REMOVE, [id], cause{7, message}}},
// so its other listeners go on (the SDKs end only that listener). The
// exceptions end the whole stream, because no REMOVE can name the target:
//   - target_id 0 (the server would assign the id) denied: PERMISSION_DENIED;
//   - an add whose id is already live: INVALID_ARGUMENT (upstream would
//     have two targets behind one id; no SDK does this).
// remove_target is forwarded only for a live target; a remove of an id that
// was never added, was denied or was already removed is not forwarded and
// gets no answer (it has nothing left to remove), only its access line.
// A target beyond limits.http2.max_listen_targets gets REMOVE with
// RESOURCE_EXHAUSTED (8).
//
// Policy reload: the watcher sees the generation change and every live
// target is decided again; a newly denied one gets the same REMOVE and a
// remove_target goes upstream. Responses upstream had already sent for it
// may still reach the client before the REMOVE does.
#include "exchange.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/firestore/proto_writer.hpp"
#include "grpc_bidi.hpp"

namespace firewarden::proxy {

namespace {

std::string remove_frame(std::int32_t target_id, GrpcCode code, std::string_view message) {
  return firestore::grpc_frame(
      firestore::listen_remove_response(target_id, static_cast<int>(code), message));
}

// ListenRequest{database 1, remove_target 3}: what firewarden sends upstream
// to drop a target a reload denied.
std::string remove_target_request(const std::string& database, std::int32_t target_id) {
  return firestore::protobuf::ProtoWriter().string(1, database).int32(3, target_id).bytes();
}

void record_refusal(FirestoreProxy::Exchange& exchange, const firestore::ApiError& error) {
  auto& record = exchange.record;
  record.status = static_cast<unsigned>(grpc_code(error));
  record.decision = decision_label(error);
  record.error = error.message;
}

}  // namespace

net::awaitable<void> FirestoreProxy::on_listen_message(BidiCall& bidi, std::string_view message) {
  auto read = firestore::read_listen_request(stream_request(bidi, message), options_.scope);
  if (const auto* error = std::get_if<firestore::ApiError>(&read)) {
    Exchange exchange = message_exchange(bidi, "unreadable");
    co_return refuse_message(bidi, exchange, *error);
  }
  auto& listen = std::get<firestore::ListenMessage>(read);
  if (const auto* remove = std::get_if<firestore::ListenRemove>(&listen)) {
    co_return co_await remove_listen_target(bidi, remove->target_id, message);
  }
  co_await add_listen_target(bidi, std::move(std::get<firestore::ListenAdd>(listen)));
}

net::awaitable<void> FirestoreProxy::add_listen_target(BidiCall& bidi, firestore::ListenAdd add) {
  const std::int32_t id = add.target_id;
  Exchange exchange = message_exchange(bidi, "add_target " + std::to_string(id));
  record_model(exchange, add.model);
  auto& record = exchange.record;
  if (auto problem = check_stream_database(bidi, add.model)) {
    co_return refuse_message(bidi, exchange, *problem);
  }
  if (bidi.targets.contains(id)) {
    co_return refuse_message(
        bidi, exchange,
        firestore::ApiError::invalid_argument("add_target: target_id " + std::to_string(id) +
                                              " is already live on this stream"));
  }
  if (bidi.targets.size() >= options_.max_listen_targets) {
    const std::string why = "this stream already has " + std::to_string(bidi.targets.size()) +
                            " targets, firewarden's limits.http2.max_listen_targets";
    record.status = static_cast<unsigned>(GrpcCode::resource_exhausted);
    record.error = why;
    finish_message(exchange);
    if (id == 0) co_return end_bidi(bidi, GrpcCode::resource_exhausted, why);
    co_await send_to_client(bidi, remove_frame(id, GrpcCode::resource_exhausted, why));
    co_return;
  }
  const policy::Decision decision = policies_.current()->policy->decide(bidi.who, add.model);
  if (auto refusal = enforce_message(bidi, exchange, decision)) {
    if (id == 0) co_return refuse_message(bidi, exchange, *refusal);
    record_refusal(exchange, *refusal);
    finish_message(exchange);
    bidi.targets_denied = true;
    co_await send_to_client(bidi, remove_frame(id, GrpcCode::permission_denied, refusal->message));
    co_return;
  }
  const auto requirements = bidi.targets.emplace(id, add.model).first;
  listen_targets_.add(1);
  if (co_await send_upstream(bidi, requirements->second, decision)) {
    record.upstream_reused = bidi.call.exchange.record.upstream_reused;
  } else {
    record.error = "the stream ended before the target was forwarded";
  }
  finish_message(exchange);
}

net::awaitable<void> FirestoreProxy::remove_listen_target(BidiCall& bidi, std::int32_t target_id,
                                                          std::string_view message) {
  Exchange exchange = message_exchange(bidi, "remove_target " + std::to_string(target_id));
  auto& record = exchange.record;
  const auto live = bidi.targets.find(target_id);
  if (live == bidi.targets.end()) {
    record.decision = "error";
    record.error = "remove_target " + std::to_string(target_id) +
                   " names no live target of this stream; not forwarded";
    co_return finish_message(exchange);
  }
  bidi.targets.erase(live);
  listen_targets_.add(-1);
  record.decision = "allow";  // a live target may always be removed
  if (co_await write_upstream(bidi, firestore::grpc_frame(message))) {
    record.upstream_reused = bidi.call.exchange.record.upstream_reused;
  }
  finish_message(exchange);
}

net::awaitable<void> FirestoreProxy::recheck_listen_targets(BidiCall& bidi) {
  const auto snapshot = policies_.current();
  bidi.policy_generation = snapshot->generation;
  // Decided first, removed after: the awaits below may interleave with the
  // pump, which changes the target table.
  struct Removal {
    std::int32_t id;
    Exchange exchange;
    std::string message;
  };
  std::vector<Removal> removals;
  for (const auto& [id, model] : bidi.targets) {
    const policy::Decision decision = snapshot->policy->decide(bidi.who, model);
    const bool same_principal =
        !bidi.impersonated || *bidi.impersonated == decision.impersonate.value_or("");
    if (!refuses(decision) && same_principal) continue;
    Exchange exchange = message_exchange(bidi, "reload remove_target " + std::to_string(id));
    record_model(exchange, model);
    auto refusal = enforce_message(bidi, exchange, decision);
    if (!refusal) continue;
    record_refusal(exchange, *refusal);
    removals.push_back({id, std::move(exchange), refusal->message});
  }
  for (auto& removal : removals) {
    // The client may have removed it meanwhile: then there is nothing left to do.
    if (bidi.targets.erase(removal.id) == 0) continue;
    listen_targets_.add(-1);
    finish_message(removal.exchange);
    if (removal.id == 0) {  // no remove_target can name it upstream
      co_return end_bidi(bidi, GrpcCode::permission_denied, removal.message);
    }
    co_await write_upstream(
        bidi, firestore::grpc_frame(remove_target_request(bidi.database, removal.id)));
    co_await send_to_client(bidi,
                            remove_frame(removal.id, GrpcCode::permission_denied, removal.message));
    if (bidi.ended) co_return;
  }
}

}  // namespace firewarden::proxy
