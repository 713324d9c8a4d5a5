#pragma once
// A tiny protobuf encoder for the gRPC reader's tests: fields written by
// hand, so a test can also write what no encoder would (duplicates, groups,
// padded varints). Field numbers are the Firestore protos'.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "classify_support.hpp"
#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/firestore/protobuf_wire.hpp"

namespace firewarden::firestore::testing::pb {

// The encoding is the daemon's own (protobuf_wire.hpp), as strings.
inline std::string varint(std::uint64_t value) {
  std::string out;
  protobuf::append_varint(out, value);
  return out;
}
inline std::string tag(std::uint32_t number, int wire) {
  std::string out;
  protobuf::append_raw_tag(out, number, static_cast<std::uint32_t>(wire));
  return out;
}
// A varint field (bool, int32, int64, enum).
inline std::string num(std::uint32_t number, std::uint64_t value) {
  std::string out;
  protobuf::append_varint_field(out, number, value);
  return out;
}
// A length-delimited field: string, bytes or an encoded message.
inline std::string len(std::uint32_t number, std::string_view bytes) {
  std::string out;
  protobuf::append_length_delimited(out, number, bytes);
  return out;
}
inline std::string cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& part : parts) out += part;
  return out;
}

inline std::string db() { return kDb; }
inline std::string doc(std::string_view path) { return kDb + "/documents/" + std::string(path); }
inline std::string root() { return kDb + "/documents"; }

// Common Firestore messages.
inline std::string timestamp(std::int64_t seconds, std::int32_t nanos = 0) {
  return cat(
      {seconds != 0 ? num(1, static_cast<std::uint64_t>(seconds)) : "",
       nanos != 0 ? num(2, static_cast<std::uint64_t>(static_cast<std::int64_t>(nanos))) : ""});
}
inline std::string exists(bool value) { return num(1, value ? 1 : 0); }  // Precondition
inline std::string update_time(std::int64_t seconds) { return len(2, timestamp(seconds)); }
// A Value: integer_value (field 2), user data.
inline std::string int_value(std::int64_t value) {
  return num(2, static_cast<std::uint64_t>(value));
}
// A Document with a name and one field (map entry key 1, value 2).
inline std::string document(std::string_view name) {
  return cat({name.empty() ? "" : len(1, name), len(2, cat({len(1, "n"), len(2, int_value(1))}))});
}
// Write: update 1, delete 2, update_mask 3, current_document 4, transform 6,
// update_transforms 7.
inline std::string update_write(std::string_view path, std::string precondition = {}) {
  return cat({len(1, document(doc(path))), precondition.empty() ? "" : len(4, precondition)});
}
inline std::string delete_write(std::string_view path) { return len(2, doc(path)); }
inline std::string transform_write(std::string_view path) {
  // DocumentTransform{document 1, field_transforms 2: {field_path 1, increment 3}}
  return len(6, cat({len(1, doc(path)), len(2, cat({len(1, "n"), len(3, int_value(1))}))}));
}
// StructuredQuery with one from entry (CollectionSelector collection_id 2, all_descendants 3).
inline std::string query_from(std::string_view collection, bool all_descendants = false) {
  return len(2,
             cat({collection.empty() ? "" : len(2, collection), all_descendants ? num(3, 1) : ""}));
}

inline ClassifyResult classify_rpc(
    std::string_view rpc, const std::string& message,
    std::vector<std::pair<std::string_view, std::string_view>> metadata = {}) {
  const std::string path = "/google.firestore.v1.Firestore/" + std::string(rpc);
  GrpcRequest request{path, message, std::move(metadata)};
  return classify_grpc(request, kScope);
}

}  // namespace firewarden::firestore::testing::pb
