#pragma once
// Protobuf wire bytes written field by field: the messages firewarden
// synthesizes (a ListenResponse that removes a denied target), and in tests
// a request message as an SDK would send it, or as an attacker would (a
// field twice, an unknown field, a wrong wire type), which a generated
// encoder cannot write. The encoding is protobuf_wire.hpp's.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "firewarden/firestore/protobuf_wire.hpp"

namespace firewarden::firestore::protobuf {

class ProtoWriter {
 public:
  // Field `number` as a length-delimited string or bytes.
  ProtoWriter& string(std::uint32_t number, std::string_view value) {
    append_length_delimited(bytes_, number, value);
    return *this;
  }
  // Field `number` as an embedded message.
  ProtoWriter& message(std::uint32_t number, const ProtoWriter& nested) {
    return string(number, nested.bytes());
  }
  ProtoWriter& varint(std::uint32_t number, std::uint64_t value) {
    append_varint_field(bytes_, number, value);
    return *this;
  }
  // An int32 field: negative values are sign-extended to 64 bits, as
  // protobuf encodes them.
  ProtoWriter& int32(std::uint32_t number, std::int32_t value) {
    return varint(number, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
  }
  // A repeated int32 field in packed encoding (proto3's default).
  ProtoWriter& packed_int32(std::uint32_t number, std::initializer_list<std::int32_t> values) {
    std::string packed;
    for (const std::int32_t value : values) {
      append_varint(packed, static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
    }
    return string(number, packed);
  }
  // A tag with any wire type, its payload left to raw().
  ProtoWriter& tag(std::uint32_t number, std::uint32_t wire_type) {
    append_raw_tag(bytes_, number, wire_type);
    return *this;
  }
  // Bytes appended as they are (a group tag, a truncated field …).
  ProtoWriter& raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace firewarden::firestore::protobuf
