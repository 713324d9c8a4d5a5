#pragma once
// Protobuf wire bytes written by hand for tests: a request message as an SDK
// would send it, or one an attacker would (a field twice, an unknown field,
// a wrong wire type), which a generated encoder cannot write.
#include <cstdint>
#include <string>
#include <string_view>

namespace firewarden::testing {

class ProtoWriter {
 public:
  // Field `number` as a length-delimited string or bytes.
  ProtoWriter& string(std::uint32_t number, std::string_view value) {
    tag(number, 2);
    varint_bytes(value.size());
    bytes_.append(value);
    return *this;
  }
  // Field `number` as an embedded message.
  ProtoWriter& message(std::uint32_t number, const ProtoWriter& nested) {
    return string(number, nested.bytes());
  }
  ProtoWriter& varint(std::uint32_t number, std::uint64_t value) {
    tag(number, 0);
    varint_bytes(value);
    return *this;
  }
  // Bytes appended as they are (a group tag, a truncated field …).
  ProtoWriter& raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void tag(std::uint32_t number, std::uint32_t wire_type) {
    varint_bytes((std::uint64_t{number} << 3) | wire_type);
  }
  void varint_bytes(std::uint64_t value) {
    while (value >= 0x80) {
      bytes_ += static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    bytes_ += static_cast<char>(value);
  }

  std::string bytes_;
};

}  // namespace firewarden::testing
