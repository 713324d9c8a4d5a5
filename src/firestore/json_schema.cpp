// About 380 lines: one SchemaReader walks the tape against the message tables
// (firestore_messages.cpp), its checks in the order they are documented, so it
// reads in one place.
#include "firewarden/firestore/json_schema.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "firewarden/firestore/text.hpp"
#include "firewarden/firestore/timestamp.hpp"

namespace firewarden::firestore {
namespace {

// Error paths can grow with nesting and user keys; show their end.
constexpr std::size_t kMaxShownPathBytes = 200;

bool in_range(std::int64_t value, FieldType type) {
  if (type == FieldType::int64) return true;
  return value >= std::numeric_limits<std::int32_t>::min() &&
         value <= std::numeric_limits<std::int32_t>::max();
}

bool is_integer_number(const JsonNode& value) {
  return value.kind == JsonKind::number && value.number != NumberKind::floating;
}

// A number token without fraction or exponent that fits 64 bits, or a decimal string.
bool is_integer(const JsonNode& value, FieldType type) {
  if (value.kind == JsonKind::number && value.number == NumberKind::unsigned_integer) {
    return value.unsigned_value <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) &&
           in_range(static_cast<std::int64_t>(value.unsigned_value), type);
  }
  if (value.kind == JsonKind::number && value.number == NumberKind::signed_integer) {
    return in_range(value.signed_value, type);
  }
  if (value.kind == JsonKind::string) {
    const auto number = parse_decimal_int64(value.text);
    return number && in_range(*number, type);
  }
  return false;
}

// An enum number is a non-negative int32 sent without '-' ("-0" is refused).
bool is_enum_value(const JsonNode& value) {
  if (is_integer_number(value)) {
    return value.number == NumberKind::unsigned_integer &&
           value.unsigned_value <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  }
  if (value.kind != JsonKind::string) return false;
  const std::string_view name = value.text;
  if (name.empty() || name[0] < 'A' || name[0] > 'Z') return false;
  for (const char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_string_where(const JsonNode& value, bool (*accept)(std::string_view)) {
  return value.kind == JsonKind::string && accept(value.text);
}

bool is_timestamp_text(std::string_view text) { return parse_timestamp(text).has_value(); }

bool is_special_double(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

bool is_null_value(const JsonNode& value) {
  if (value.kind == JsonKind::null) return true;
  if (value.kind == JsonKind::string) return value.text == "NULL_VALUE";
  // 0 and -0 (integer tokens), not 0.0.
  if (value.kind != JsonKind::number) return false;
  if (value.number == NumberKind::unsigned_integer) return value.unsigned_value == 0;
  return value.number == NumberKind::signed_integer && value.signed_value == 0;
}

const char* expected_json(FieldType type) {
  switch (type) {
    case FieldType::string:
      return "a string";
    case FieldType::bytes:
      return "a base64 string";
    case FieldType::boolean:
      return "true or false";
    case FieldType::int32:
      return "a 32-bit integer";
    case FieldType::int64:
      return "a 64-bit integer";
    case FieldType::double_type:
      return "a number";
    case FieldType::enumeration:
      return "an enum name or number";
    case FieldType::timestamp:
      return "an RFC 3339 timestamp";
    case FieldType::null_value:
      return "null";
    case FieldType::message:
    case FieldType::value_map:
      return "an object";
    case FieldType::string_map:
      return "an object of strings";
  }
  return "a valid value";
}

// One step of the path an error names: a field, an array element or a map key.
struct PathStep {
  enum class Kind : std::uint8_t { field, element, key } kind;
  std::string_view text;  // field name or map key
  std::size_t index = 0;  // element
};

class SchemaReader {
 public:
  // in_key_order: members in byte order of their keys (as the std::map of
  // the DOM reader held them), else in document order.
  // fields: where the field each key names is recorded (indexed by node).
  SchemaReader(const JsonTape& tape, std::span<const FieldSchema*> fields, bool in_key_order)
      : tape_(tape), fields_(fields), in_key_order_(in_key_order) {}

  // The root object, read against `schema`.
  Refusal read(const MessageSchema& schema) { return read_message(0, schema); }

 private:
  Refusal read_message(std::size_t index, const MessageSchema& schema) {
    if (tape_[index].kind != JsonKind::object) {
      return refuse(std::string("must be an object (") + std::string(schema.name) + ")");
    }
    // Bounded by the schema: each key names a distinct field or is refused.
    const std::size_t seen = seen_.size();
    Refusal refusal = for_each_key(index, [&](std::size_t key_index) -> Refusal {
      const JsonNode& key = tape_[key_index];
      const FieldSchema* field = find_field(schema, key.text);
      if (field == nullptr) {
        return refuse("unknown field " + quote_input(key.text) + " in " + std::string(schema.name));
      }
      if (Refusal conflict = check_not_seen(schema, *field, seen)) return conflict;
      seen_.push_back(field);
      fields_[key_index] = field;
      path_.push_back({PathStep::Kind::field, field->name});
      if (Refusal wrong = read_field(key_index + 1, *field)) return wrong;
      path_.pop_back();
      return std::nullopt;
    });
    if (refusal) return refusal;
    for (const std::string_view required : schema.required_oneofs) {
      bool present = false;
      for (std::size_t s = seen; s < seen_.size(); ++s)
        present = present || same_name(seen_[s]->oneof, required);
      if (!present) {
        return refuse(std::string(schema.name) + " needs one of " + members_of(schema, required));
      }
    }
    seen_.resize(seen);
    return std::nullopt;
  }

  // Refuses a field given twice (in both spellings) or a second member of its oneof.
  Refusal check_not_seen(const MessageSchema& schema, const FieldSchema& field,
                         std::size_t seen) const {
    for (std::size_t s = seen; s < seen_.size(); ++s) {
      const FieldSchema& other = *seen_[s];
      if (&other == &field) {
        return refuse("field " + std::string(field.name) +
                      " given in both spellings (lowerCamel and snake_case)");
      }
      if (!field.oneof.empty() && same_name(other.oneof, field.oneof)) {
        return refuse("fields " + std::string(other.name) + " and " + std::string(field.name) +
                      " exclude each other (" + std::string(schema.name) + "." +
                      std::string(field.oneof) + ")");
      }
    }
    return std::nullopt;
  }

  // Pushes the key indices of `object` onto keys_ in byte order of the keys;
  // returns where they start.
  std::size_t push_sorted_keys(std::size_t object) {
    const std::size_t start = keys_.size();
    for (std::size_t i = object + 1; i < tape_[object].end; i = tape_.skip(i + 1)) {
      keys_.push_back(static_cast<std::uint32_t>(i));
    }
    std::sort(keys_.begin() + static_cast<std::ptrdiff_t>(start), keys_.end(),
              [this](std::uint32_t a, std::uint32_t b) { return tape_[a].text < tape_[b].text; });
    return start;
  }

  Refusal read_field(std::size_t index, const FieldSchema& field) {
    if (!field.repeated) return read_single(index, field);
    if (tape_[index].kind != JsonKind::array) return refuse("must be an array");
    std::size_t element = 0;
    for (std::size_t i = index + 1; i < tape_[index].end; i = tape_.skip(i), ++element) {
      path_.push_back({PathStep::Kind::element, {}, element});
      if (Refusal refusal = read_single(i, field)) return refusal;
      path_.pop_back();
    }
    return std::nullopt;
  }

  Refusal read_single(std::size_t index, const FieldSchema& field) {
    const JsonNode& value = tape_[index];
    if (value.kind == JsonKind::null && field.type != FieldType::null_value) {
      return refuse("null is not accepted (it would read as unset)");
    }
    bool ok = false;
    switch (field.type) {
      case FieldType::string:
        ok = value.kind == JsonKind::string;
        break;
      case FieldType::bytes:
        ok = is_string_where(value, is_base64);
        break;
      case FieldType::boolean:
        ok = value.kind == JsonKind::boolean;
        break;
      case FieldType::int32:
      case FieldType::int64:
        ok = is_integer(value, field.type);
        break;
      case FieldType::double_type:
        ok = value.kind == JsonKind::number || is_string_where(value, is_special_double);
        break;
      case FieldType::enumeration:
        ok = is_enum_value(value);
        break;
      case FieldType::timestamp:
        ok = is_string_where(value, is_timestamp_text);
        break;
      case FieldType::null_value:
        ok = is_null_value(value);
        break;
      case FieldType::message:
        return read_message(index, *field.message);
      case FieldType::value_map:
        return read_map(index, field.message);
      case FieldType::string_map:
        return read_map(index, nullptr);
    }
    if (!ok) return refuse(std::string("must be ") + expected_json(field.type));
    return std::nullopt;
  }

  // map<string, Value> (values_schema set) or map<string, string>.
  Refusal read_map(std::size_t index, const MessageSchema* values_schema) {
    if (tape_[index].kind != JsonKind::object) return refuse("must be an object");
    return for_each_key(index, [&](std::size_t key) -> Refusal {
      path_.push_back({PathStep::Kind::key, tape_[key].text});
      if (values_schema != nullptr) {
        if (Refusal refusal = read_message(key + 1, *values_schema)) return refusal;
      } else if (tape_[key + 1].kind != JsonKind::string) {
        return refuse("must be a string");
      }
      path_.pop_back();
      return std::nullopt;
    });
  }

  // Calls visit(key index) for each member of `object`, in the reader's order.
  template <typename Visit>
  Refusal for_each_key(std::size_t object, Visit visit) {
    if (!in_key_order_) {
      for (std::size_t i = object + 1; i < tape_[object].end; i = tape_.skip(i + 1)) {
        if (Refusal refusal = visit(i)) return refusal;
      }
      return std::nullopt;
    }
    const std::size_t members = push_sorted_keys(object);
    for (std::size_t m = members; m < keys_.size(); ++m) {
      if (Refusal refusal = visit(keys_[m])) return refusal;
    }
    keys_.resize(members);
    return std::nullopt;
  }

  // The lowerCamel name or, failing that, the snake_case one. (No key can be
  // one field's lowerCamel name and another's snake_case name: lowerCamel
  // names hold no '_', and a name without capitals is its own snake_case.)
  static const FieldSchema* find_field(const MessageSchema& schema, std::string_view key) {
    for (const FieldSchema& field : schema.fields) {
      // Length and first byte first: most fields differ there (saves the memcmp call).
      if (key.size() == field.name.size() && !key.empty() && key[0] == field.name[0] &&
          key == field.name) {
        return &field;
      }
    }
    if (key.find('_') == std::string_view::npos) return nullptr;
    for (const FieldSchema& field : schema.fields) {
      if (is_snake_case_of(key, field.name)) return &field;
    }
    return nullptr;
  }

  static std::string members_of(const MessageSchema& schema, std::string_view oneof) {
    std::string out;
    for (const FieldSchema& field : schema.fields) {
      if (field.oneof != oneof) continue;
      if (!out.empty()) out += ", ";
      out += field.name;
    }
    return out;
  }

  ApiError refuse(const std::string& why) const {
    std::string where =
        path_.empty() ? std::string("request body") : "request body field " + shown_path();
    return ApiError::invalid_argument(where + ": " + why);
  }

  // The path is only spelled out for an error: field.field[3]["key"].field …
  std::string path_text() const {
    std::string text;
    for (const PathStep& step : path_) {
      switch (step.kind) {
        case PathStep::Kind::field:
          if (!text.empty()) text += '.';
          text += step.text;
          break;
        case PathStep::Kind::element:
          text += '[' + std::to_string(step.index) + ']';
          break;
        case PathStep::Kind::key:
          text += '[' + quote_input(step.text) + ']';
          break;
      }
    }
    return text;
  }

  // Error paths can grow with nesting and user keys; show their end.
  std::string shown_path() const {
    const std::string path = path_text();
    if (path.size() <= kMaxShownPathBytes) return path;
    std::size_t start = path.size() - kMaxShownPathBytes;
    while (start < path.size() && (static_cast<unsigned char>(path[start]) & 0xC0) == 0x80) {
      ++start;  // not inside a UTF-8 sequence
    }
    return "…" + path.substr(start);
  }

  // Schema names compared: the same constant usually, so its address decides
  // without a memcmp; equal text in two places still compares equal.
  static bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.data() == b.data() || a == b);
  }

  const JsonTape& tape_;
  const std::span<const FieldSchema*> fields_;
  const bool in_key_order_;
  // Inline for the usual depth of a Firestore body: no allocation per read.
  boost::container::small_vector<PathStep, 24> path_;
  boost::container::small_vector<std::uint32_t, 32> keys_;  // sorted keys of the objects being read
  boost::container::small_vector<const FieldSchema*, 32> seen_;  // fields set in the messages read
};

}  // namespace

std::size_t MessageTape::member(std::size_t object, std::string_view field_name) const {
  for (std::size_t i = object + 1; i < (*tape_)[object].end; i = tape_->skip(i + 1)) {
    const FieldSchema* named = fields_[i];
    if (named != nullptr && named->name == field_name) return i + 1;
  }
  return 0;
}

// Whether a body is refused does not depend on the order its members are read
// in: every check is about one member, a pair of members (both spellings, two
// members of a oneof) or the whole message (a required oneof). So the common
// case, an acceptable body, is read once in document order; only a refused one
// is read again in key order, so that it gets the very error the key-ordered
// reading meets first (the error does not depend on the member order sent).
Checked<MessageTape> read_message(const JsonTape& tape, const MessageSchema& schema) {
  MessageTape read(tape);
  Refusal refusal = SchemaReader(tape, read.fields_, /*in_key_order=*/false).read(schema);
  if (!refusal) return read;
  Refusal ordered = SchemaReader(tape, read.fields_, /*in_key_order=*/true).read(schema);
  return ordered ? *ordered : *refusal;  // both refuse; never accept what one refused
}

}  // namespace firewarden::firestore
