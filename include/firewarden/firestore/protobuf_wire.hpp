#pragma once
// A strict protobuf wire reader (https://protobuf.dev/programming-guides/encoding/)
// and a table-driven message walker, for the gRPC request messages the
// classifier must read unambiguously (DESIGN.md: it must refuse what
// libprotobuf silently accepts).
//
// Wire level, refused: truncation, a varint over 10 bytes or beyond 64 bits,
// a varint padded with redundant continuation bytes (an encoder never writes
// one; a reader that stops early would see other fields), field number 0 or
// above 2^29-1, group wire types (3, 4) and the unassigned ones (6, 7).
//
// Schema level (one MessageSpec per message), refused: an unknown field
// number, a wrong wire type (packed encoding included: no request field we
// read is a packable repeated scalar), a singular field given twice
// (libprotobuf keeps the last scalar and merges messages), two members of one
// oneof, a bool other than 0/1, an int32/enum varint that is no sign-extended
// 32-bit value (libprotobuf truncates it), a string that is not UTF-8
// (proto3). User data (a Value, a map entry of Document.fields) is framed but
// never interpreted. Strings are views into the message: nothing is copied.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "firewarden/firestore/checked.hpp"

namespace firewarden::firestore::protobuf {

enum class WireType : std::uint8_t {
  varint = 0,
  fixed64 = 1,
  length_delimited = 2,
  start_group = 3,
  end_group = 4,
  fixed32 = 5,
};

// One field as it stands on the wire.
struct WireField {
  std::uint32_t number = 0;
  WireType wire = WireType::varint;
  std::uint64_t scalar = 0;  // varint, fixed64 and fixed32 payloads
  std::string_view bytes;    // length-delimited payload
};

// Reads the fields of one message in wire order.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : rest_(bytes) {}

  enum class Next { field, end, error };
  // On error, error_reason() says why; the reader stays in error.
  Next next(WireField& field);
  std::string_view error_reason() const { return error_; }

 private:
  bool read_varint(std::uint64_t& value);
  bool fail(std::string_view reason);

  std::string_view rest_;
  std::string_view error_;
};

// Writing: a field appended to `out` in the canonical (minimal) encoding.
void append_varint(std::string& out, std::uint64_t value);  // a bare varint (packed elements)
// A tag with any wire type, even one the reader refuses (tests write those).
void append_raw_tag(std::string& out, std::uint32_t number, std::uint32_t wire_type);
void append_varint_field(std::string& out, std::uint32_t number, std::uint64_t value);
void append_length_delimited(std::string& out, std::uint32_t number, std::string_view bytes);

// What a field holds, and so its wire type.
enum class FieldKind : std::uint8_t {
  boolean,      // varint 0 or 1
  int32,        // varint, sign-extended 32-bit (also enums: proto3 enums are open)
  int64,        // varint
  double_type,  // fixed64
  string,       // length-delimited UTF-8, readable as a view
  bytes,        // length-delimited, opaque (transaction ids, tokens)
  message,      // length-delimited, read against FieldSpec::message
  user_data,    // length-delimited, never interpreted (Value, Document.fields entries)
};

WireType wire_type_of(FieldKind kind);

enum class Cardinality : std::uint8_t { singular, repeated };

struct MessageSpec;

struct FieldSpec {
  std::uint32_t number = 0;
  std::string_view name;  // the .proto field name, for errors and lookups
  FieldKind kind = FieldKind::string;
  Cardinality cardinality = Cardinality::singular;
  std::uint8_t oneof = 0;                // 1-based index into MessageSpec::oneofs; 0: none
  const MessageSpec* message = nullptr;  // for FieldKind::message
};

struct MessageSpec {
  std::string_view name;  // e.g. "google.firestore.v1.Write"
  std::span<const FieldSpec> fields;
  std::span<const std::string_view> oneofs{};  // oneof names, for errors
};

// Messages nest at most this deep (libprotobuf's default recursion limit);
// a recursive Filter deeper than that is refused.
inline constexpr int kMaxDepth = 100;

// A message whose bytes have been checked against its spec at every level.
// Lookups take the field's .proto name (a name the spec does not have is a
// programming error: std::logic_error) and re-scan the bytes, so they
// allocate nothing.
class Message {
 public:
  std::string_view bytes() const { return bytes_; }
  const MessageSpec& spec() const { return *spec_; }

  bool has(std::string_view field) const;
  // A singular field's value; nullopt when absent.
  std::optional<std::string_view> string(std::string_view field) const;  // string or bytes
  std::optional<std::uint64_t> varint(std::string_view field) const;
  std::optional<Message> message(std::string_view field) const;

  // Each occurrence of a repeated string or message field, in wire order.
  template <typename Visit>
  Refusal for_each_string(std::string_view field, Visit visit) const {
    const FieldSpec& spec = field_spec(field);
    WireReader reader(bytes_);
    WireField wire;
    while (reader.next(wire) == WireReader::Next::field) {
      if (wire.number != spec.number) continue;
      if (Refusal refusal = visit(wire.bytes)) return refusal;
    }
    return std::nullopt;
  }
  template <typename Visit>
  Refusal for_each_message(std::string_view field, Visit visit) const {
    const FieldSpec& spec = field_spec(field);
    return for_each_string(
        field, [&](std::string_view bytes) { return visit(Message(bytes, *spec.message)); });
  }

 private:
  friend Checked<Message> read_message(std::string_view bytes, const MessageSpec& spec);
  Message(std::string_view bytes, const MessageSpec& spec) : bytes_(bytes), spec_(&spec) {}
  const FieldSpec& field_spec(std::string_view field) const;
  std::optional<WireField> find(std::string_view field) const;

  std::string_view bytes_;
  const MessageSpec* spec_;
};

// Checks `bytes` against `spec` at every level (400 INVALID_ARGUMENT with the
// message and field at fault) and returns the checked message.
Checked<Message> read_message(std::string_view bytes, const MessageSpec& spec);

}  // namespace firewarden::firestore::protobuf
