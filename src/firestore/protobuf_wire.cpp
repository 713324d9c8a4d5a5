#include "firewarden/firestore/protobuf_wire.hpp"

#include <stdexcept>
#include <string>

#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore::protobuf {
namespace {

// Field numbers are 1 .. 2^29-1 (encoding guide, "Message Structure").
constexpr std::uint64_t kMaxFieldNumber = (std::uint64_t{1} << 29) - 1;
// A varint carries 64 bits in at most 10 bytes, the 10th holding one bit.
constexpr int kMaxVarintBytes = 10;

// Wire-level problems name no field: the bytes cannot be split into fields.
ApiError unreadable(const MessageSpec& spec, std::string_view reason) {
  return ApiError::invalid_argument("unreadable protobuf message " + std::string(spec.name) + ": " +
                                    std::string(reason));
}

ApiError refused_field(const MessageSpec& spec, const FieldSpec& field, std::string_view reason) {
  return ApiError::invalid_argument("protobuf message " + std::string(spec.name) + " field " +
                                    std::string(field.name) + " (" + std::to_string(field.number) +
                                    "): " + std::string(reason));
}

const FieldSpec* spec_of(const MessageSpec& spec, std::uint32_t number) {
  for (const FieldSpec& field : spec.fields) {
    if (field.number == number) return &field;
  }
  return nullptr;
}

// An int32 or enum: libprotobuf keeps the low 32 bits of any varint, so a
// value that is not the sign extension of a 32-bit one would read as
// something other than what was sent.
bool is_int32(std::uint64_t value) {
  const auto wide = static_cast<std::int64_t>(value);
  return wide >= INT32_MIN && wide <= INT32_MAX;
}

Refusal check_fields(std::string_view bytes, const MessageSpec& spec, int depth);

Refusal check_value(const MessageSpec& spec, const FieldSpec& field, const WireField& wire,
                    int depth) {
  switch (field.kind) {
    case FieldKind::boolean:
      if (wire.scalar > 1) return refused_field(spec, field, "a bool must be 0 or 1");
      return std::nullopt;
    case FieldKind::int32:
      if (!is_int32(wire.scalar)) return refused_field(spec, field, "out of int32 range");
      return std::nullopt;
    case FieldKind::string:
      if (!is_valid_utf8(wire.bytes)) return refused_field(spec, field, "not valid UTF-8");
      return std::nullopt;
    case FieldKind::message:
      return check_fields(wire.bytes, *field.message, depth + 1);
    case FieldKind::int64:
    case FieldKind::double_type:
    case FieldKind::bytes:
    case FieldKind::user_data:
      return std::nullopt;
  }
  return std::nullopt;
}

// One level of a message: every field known, of its wire type, singular
// fields and oneofs at most once; then each value (recursively).
Refusal check_fields(std::string_view bytes, const MessageSpec& spec, int depth) {
  if (depth > kMaxDepth) return unreadable(spec, "messages nested too deep");
  // Bit i: spec.fields[i] seen (singular) / oneof i+1 seen. Tables are small.
  std::uint64_t seen_fields = 0;
  std::uint64_t seen_oneofs = 0;
  WireReader reader(bytes);
  WireField wire;
  while (true) {
    const WireReader::Next next = reader.next(wire);
    if (next == WireReader::Next::end) return std::nullopt;
    if (next == WireReader::Next::error) return unreadable(spec, reader.error_reason());
    const FieldSpec* field = spec_of(spec, wire.number);
    if (field == nullptr) {
      return unreadable(spec, "unknown field number " + std::to_string(wire.number));
    }
    if (wire.wire != wire_type_of(field->kind)) {
      return refused_field(spec, *field,
                           "wrong wire type " + std::to_string(static_cast<int>(wire.wire)));
    }
    const auto index = static_cast<std::size_t>(field - spec.fields.data());
    if (field->cardinality == Cardinality::singular) {
      if ((seen_fields >> index) & 1U) return refused_field(spec, *field, "given twice");
      seen_fields |= std::uint64_t{1} << index;
    }
    if (field->oneof != 0) {
      const std::uint64_t bit = std::uint64_t{1} << (field->oneof - 1);
      // The same member twice was refused above: this is another member.
      if ((seen_oneofs & bit) != 0) {
        return refused_field(
            spec, *field, "a second member of oneof " + std::string(spec.oneofs[field->oneof - 1]));
      }
      seen_oneofs |= bit;
    }
    if (Refusal refusal = check_value(spec, *field, wire, depth)) return refusal;
  }
}

}  // namespace

WireType wire_type_of(FieldKind kind) {
  switch (kind) {
    case FieldKind::boolean:
    case FieldKind::int32:
    case FieldKind::int64:
      return WireType::varint;
    case FieldKind::double_type:
      return WireType::fixed64;
    case FieldKind::string:
    case FieldKind::bytes:
    case FieldKind::message:
    case FieldKind::user_data:
      return WireType::length_delimited;
  }
  return WireType::length_delimited;
}

bool WireReader::fail(std::string_view reason) {
  error_ = reason;
  rest_ = {};
  return false;
}

bool WireReader::read_varint(std::uint64_t& value) {
  value = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (rest_.empty()) return fail("truncated varint");
    const auto byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    if (i == kMaxVarintBytes - 1 && byte > 1) return fail("varint beyond 64 bits");
    value |= static_cast<std::uint64_t>(byte & 0x7FU) << (7 * i);
    if ((byte & 0x80U) == 0) {
      // A last byte of 0 after others only pads: the minimal encoding is shorter.
      if (i > 0 && byte == 0) return fail("overlong varint");
      return true;
    }
  }
  return fail("varint over 10 bytes");
}

WireReader::Next WireReader::next(WireField& field) {
  if (!error_.empty()) return Next::error;
  if (rest_.empty()) return Next::end;
  std::uint64_t tag = 0;
  if (!read_varint(tag)) return Next::error;
  const std::uint64_t number = tag >> 3;
  if (number == 0 || number > kMaxFieldNumber) {
    fail("field number out of range");
    return Next::error;
  }
  field.number = static_cast<std::uint32_t>(number);
  field.scalar = 0;
  field.bytes = {};
  switch (tag & 7U) {
    case 0:
      field.wire = WireType::varint;
      return read_varint(field.scalar) ? Next::field : Next::error;
    case 1:
    case 5: {
      const std::size_t size = (tag & 7U) == 1 ? 8 : 4;
      field.wire = size == 8 ? WireType::fixed64 : WireType::fixed32;
      if (rest_.size() < size) {
        fail("truncated fixed-width field");
        return Next::error;
      }
      for (std::size_t i = 0; i < size; ++i) {  // little-endian
        field.scalar |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(rest_[i])) << (8 * i);
      }
      rest_.remove_prefix(size);
      return Next::field;
    }
    case 2: {
      field.wire = WireType::length_delimited;
      std::uint64_t size = 0;
      if (!read_varint(size)) return Next::error;
      if (size > rest_.size()) {
        fail("truncated length-delimited field");
        return Next::error;
      }
      field.bytes = rest_.substr(0, static_cast<std::size_t>(size));
      rest_.remove_prefix(static_cast<std::size_t>(size));
      return Next::field;
    }
    case 3:
    case 4:
      fail("group wire types are not accepted");
      return Next::error;
    default:
      fail("unassigned wire type");
      return Next::error;
  }
}

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80U) {
    out += static_cast<char>((value & 0x7FU) | 0x80U);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

namespace {

void append_tag(std::string& out, std::uint32_t number, WireType wire) {
  append_varint(out, (std::uint64_t{number} << 3) | static_cast<std::uint64_t>(wire));
}

}  // namespace

void append_raw_tag(std::string& out, std::uint32_t number, std::uint32_t wire_type) {
  append_varint(out, (std::uint64_t{number} << 3) | wire_type);
}

void append_varint_field(std::string& out, std::uint32_t number, std::uint64_t value) {
  append_tag(out, number, WireType::varint);
  append_varint(out, value);
}

void append_length_delimited(std::string& out, std::uint32_t number, std::string_view bytes) {
  append_tag(out, number, WireType::length_delimited);
  append_varint(out, bytes.size());
  out += bytes;
}

Checked<Message> read_message(std::string_view bytes, const MessageSpec& spec) {
  if (Refusal refusal = check_fields(bytes, spec, 1)) return *refusal;
  return Message(bytes, spec);
}

const FieldSpec& Message::field_spec(std::string_view field) const {
  for (const FieldSpec& candidate : spec_->fields) {
    if (candidate.name == field) return candidate;
  }
  throw std::logic_error("protobuf message " + std::string(spec_->name) + " has no field " +
                         std::string(field));
}

std::optional<WireField> Message::find(std::string_view field) const {
  const FieldSpec& spec = field_spec(field);
  WireReader reader(bytes_);
  WireField wire;
  while (reader.next(wire) == WireReader::Next::field) {
    if (wire.number == spec.number) return wire;  // singular: checked to be the only one
  }
  return std::nullopt;
}

bool Message::has(std::string_view field) const { return find(field).has_value(); }

std::optional<std::string_view> Message::string(std::string_view field) const {
  const std::optional<WireField> wire = find(field);
  if (!wire) return std::nullopt;
  return wire->bytes;
}

std::optional<std::uint64_t> Message::varint(std::string_view field) const {
  const std::optional<WireField> wire = find(field);
  if (!wire) return std::nullopt;
  return wire->scalar;
}

std::optional<Message> Message::message(std::string_view field) const {
  const FieldSpec& spec = field_spec(field);
  const std::optional<WireField> wire = find(field);
  if (!wire) return std::nullopt;
  return Message(wire->bytes, *spec.message);
}

}  // namespace firewarden::firestore::protobuf
