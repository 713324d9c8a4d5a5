#pragma once
// gRPC request message -> RequestModel: the second producer of the policy's
// input (DESIGN.md, "Two protocols, one path"). One call per request
// message, so a stream is checked message by message. Pure: no I/O.
//
// The requirements come from the same table as the REST classifier's; the
// message is read by a strict, table-driven protobuf wire reader (field
// numbers from googleapis google/firestore/v1/*.proto) that refuses what
// libprotobuf would silently accept: an unknown field number, a singular
// field given twice, two members of one oneof, a group, a wrong wire type.
// User data (Document.fields, Value) is skipped, never interpreted.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "firewarden/firestore/classify.hpp"

namespace firewarden::firestore {

// How a Firestore RPC is called.
enum class RpcKind { unary, server_streaming, bidi_streaming };

struct Rpc {
  std::string_view name;  // "GetDocument", "Commit", "RunQuery", "Listen" …
  RpcKind kind = RpcKind::unary;
};

// The RPC a request path names ("/google.firestore.v1.Firestore/Commit"),
// or UNIMPLEMENTED (501 in ApiError terms) for ExecutePipeline, any other
// method or any other service.
std::variant<Rpc, ApiError> grpc_rpc(std::string_view path);

struct GrpcRequest {
  std::string_view path;     // ":path"
  std::string_view message;  // one request message, without its 5-byte gRPC prefix
  // The request's metadata (lowercase names), for the routing headers
  // (google-cloud-resource-prefix, x-goog-request-params) that must agree
  // with the message's database, as for REST.
  std::vector<std::pair<std::string_view, std::string_view>> metadata;
  // A bidirectional stream's database as its first message named it: a
  // later Write or Listen message may leave `database` empty (firestore.proto:
  // "only required in the first message"), and is then read as naming this
  // one. Empty for a stream's first message and for every other RPC.
  std::string_view stream_database{};
};

// RequestModel::method is the RPC name ("GetDocument" …);
// upstream_target is the path, upstream_body the message as received (what
// was authorized is what is forwarded); upstream_resource_prefix and
// upstream_request_params are rebuilt from the message's database.
// Errors as REST: 400 INVALID_ARGUMENT unreadable, 403 another project or
// database, 501 UNIMPLEMENTED.
ClassifyResult classify_grpc(const GrpcRequest& request, const Scope& scope);

}  // namespace firewarden::firestore
