#pragma once
// Request bodies read against their proto message at every level, the way
// proto3 JSON defines them, but strictly: every key must be a field of the
// message (in its lowerCamel json_name or its snake_case proto name, never
// both), every value must have the field's JSON type, a oneof may have at most
// one member set (exactly one where the API requires it), and `null` is refused
// everywhere but Value.nullValue (proto3 JSON reads it as "not set", which would
// make a present-looking key absent).
//
// Only user data is exempt from the schema: the keys of Document.fields,
// MapValue.fields and map<string,string> labels are data, not field names.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/json_tape.hpp"

namespace firewarden::firestore {

enum class FieldType {
  string,
  bytes,  // base64 string
  boolean,
  int32,        // number or decimal string (also google.protobuf.Int32Value)
  int64,        // number or decimal string (also google.protobuf.Int64Value)
  double_type,  // number, or "NaN", "Infinity", "-Infinity" (also DoubleValue)
  enumeration,  // enum value name or number
  timestamp,    // RFC 3339 string
  null_value,   // google.protobuf.NullValue: null, "NULL_VALUE" or 0
  message,      // JSON object read against `message`
  value_map,    // map<string, Value>: user keys, values read against `message`
  string_map,   // map<string, string>: user keys
};

struct MessageSchema;

struct FieldSchema {
  std::string_view name;  // lowerCamel json_name; its snake_case form is accepted too
  FieldType type = FieldType::string;
  const MessageSchema* message = nullptr;  // for message and value_map
  bool repeated = false;
  std::string_view oneof{};  // members of one proto oneof share this name
};

struct MessageSchema {
  std::string_view name;
  std::span<const FieldSchema> fields;
  // Oneofs the API requires to be set (Write.operation, Value.value_type, …).
  std::span<const std::string_view> required_oneofs{};
};

// A tape read against its message schema. The tape knows no schema: the field
// each key names is kept beside it, in an array indexed by node (nullptr for
// keys of user data and for every node that is not a key), so callers find a
// member by its lowerCamel name whichever spelling was sent. Refers to the
// tape, which must outlive it.
class MessageTape {
 public:
  const JsonNode& operator[](std::size_t index) const { return (*tape_)[index]; }
  std::size_t size() const { return tape_->size(); }
  std::size_t skip(std::size_t index) const { return tape_->skip(index); }

  // The member of object `object` whose key names schema field `field_name`,
  // or 0 when there is none (0 is always the root).
  std::size_t member(std::size_t object, std::string_view field_name) const;

 private:
  friend Checked<MessageTape> read_message(const JsonTape& tape, const MessageSchema& schema);
  explicit MessageTape(const JsonTape& tape) : tape_(&tape), fields_(tape.size(), nullptr) {}

  const JsonTape* tape_;
  std::vector<const FieldSchema*> fields_;
};

// Reads the tape's root object against `schema`. Members are checked in byte
// order of their keys, so the first error reported does not depend on the
// order they were sent in.
Checked<MessageTape> read_message(const JsonTape& tape, const MessageSchema& schema);

}  // namespace firewarden::firestore
