// ListenRequest -> what it asks (grpc_listen.hpp), and the REMOVE response.
// The requirements of an added target come from classify_grpc, so a Listen
// target is decided from the same table as a RunQuery or a
// BatchGetDocuments; this file adds only what the stream needs on top: the
// target id and whether the message adds or removes.
#include "firewarden/firestore/grpc_listen.hpp"

#include "firewarden/firestore/firestore_protos.hpp"
#include "firewarden/firestore/proto_writer.hpp"

namespace firewarden::firestore {

namespace {

// An int32 field's value as read (protobuf_wire checked that it is a
// sign-extended 32-bit value).
std::int32_t int32_of(std::uint64_t value) {
  return static_cast<std::int32_t>(static_cast<std::int64_t>(value));
}

}  // namespace

std::variant<ListenMessage, ApiError> read_listen_request(const GrpcRequest& request,
                                                          const Scope& scope) {
  ClassifyResult classified = classify_grpc(request, scope);
  if (auto* error = std::get_if<ApiError>(&classified)) return *error;
  // classify_grpc read the same bytes against the same table: this cannot
  // fail, and is checked all the same.
  Checked<protobuf::Message> message =
      protobuf::read_message(request.message, protos::listen_request);
  if (!message.ok()) return message.error();
  if (const std::optional<std::uint64_t> removed = message.value().varint("remove_target")) {
    return ListenMessage{ListenRemove{int32_of(*removed)}};
  }
  const std::optional<protobuf::Message> target = message.value().message("add_target");
  if (!target) {
    return ApiError::invalid_argument("a ListenRequest needs add_target or remove_target");
  }
  ListenAdd add;
  add.target_id = int32_of(target->varint("target_id").value_or(0));
  if (add.target_id < 0) {
    return ApiError::invalid_argument("add_target.target_id must not be negative");
  }
  add.model = std::move(std::get<RequestModel>(classified));
  return ListenMessage{std::move(add)};
}

std::string listen_remove_response(std::int32_t target_id, int code, std::string_view message) {
  using protobuf::ProtoWriter;
  ProtoWriter cause;  // google.rpc.Status{code 1, message 2}
  cause.int32(1, code).string(2, message);
  ProtoWriter change;  // TargetChange{target_change_type 1, target_ids 2, cause 3}
  change.varint(1, kTargetChangeRemove).packed_int32(2, {target_id}).message(3, cause);
  return ProtoWriter().message(2, change).bytes();  // ListenResponse.target_change = 2
}

}  // namespace firewarden::firestore
