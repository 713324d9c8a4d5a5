#pragma once
// The messages of the two bidirectional streams, read one at a time: what
// a ListenRequest asks (add a target, with what it requires; remove one)
// and the ListenResponse firewarden writes itself when it removes a target.
// Pure: no I/O. A WriteRequest needs nothing beyond classify_grpc (every
// write as Commit); see GrpcRequest::stream_database for its later messages.
#include <cstdint>
#include <string>
#include <variant>

#include "firewarden/firestore/grpc_classify.hpp"

namespace firewarden::firestore {

// add_target: the target's id (0: the server assigns one) and what it
// requires (a query target: `query`, as RunQuery; a documents target: `get`
// for each document), with the request's routing metadata.
struct ListenAdd {
  std::int32_t target_id = 0;
  RequestModel model;
};

// remove_target: the id of a target added earlier.
struct ListenRemove {
  std::int32_t target_id = 0;
};

using ListenMessage = std::variant<ListenAdd, ListenRemove>;

// One ListenRequest (the message read as classify_grpc reads it: unknown
// fields, a field twice, add_target and remove_target both set are
// refused), or why it is refused. One of add_target and remove_target must
// be set: a message with neither is refused, not passed on as a no-op.
std::variant<ListenMessage, ApiError> read_listen_request(const GrpcRequest& request,
                                                          const Scope& scope);

// google.firestore.v1.TargetChange.TargetChangeType (firestore.proto).
inline constexpr std::uint64_t kTargetChangeRemove = 2;

// ListenResponse{target_change{REMOVE, target_ids: [target_id],
// cause: google.rpc.Status{code, message}}}: what a client's SDK reads as
// "this listener failed with `code`".
std::string listen_remove_response(std::int32_t target_id, int code, std::string_view message);

}  // namespace firewarden::firestore
