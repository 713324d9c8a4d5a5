#include "legacy_json_schema.hpp"

#include <limits>
#include <string>
#include <vector>

#include "firewarden/firestore/text.hpp"
#include "firewarden/firestore/timestamp.hpp"

namespace firewarden::firestore::legacy {
namespace {

using json = nlohmann::json;

// Error paths can grow with nesting and user keys; show their end.
constexpr std::size_t kMaxShownPathBytes = 200;

bool in_range(std::int64_t value, FieldType type) {
  if (type == FieldType::int64) return true;
  return value >= std::numeric_limits<std::int32_t>::min() &&
         value <= std::numeric_limits<std::int32_t>::max();
}

bool is_integer(const json& value, FieldType type) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<json::number_unsigned_t>();
    return number <=
               static_cast<json::number_unsigned_t>(std::numeric_limits<std::int64_t>::max()) &&
           in_range(static_cast<std::int64_t>(number), type);
  }
  if (value.is_number_integer()) return in_range(value.get<json::number_integer_t>(), type);
  if (value.is_string()) {
    const auto number = parse_decimal_int64(value.get_ref<const std::string&>());
    return number && in_range(*number, type);
  }
  return false;
}

bool is_enum_value(const json& value) {
  if (value.is_number_integer()) {
    return value.is_number_unsigned() &&
           value.get<json::number_unsigned_t>() <=
               static_cast<json::number_unsigned_t>(std::numeric_limits<std::int32_t>::max());
  }
  if (!value.is_string()) return false;
  const auto& name = value.get_ref<const std::string&>();
  if (name.empty() || name[0] < 'A' || name[0] > 'Z') return false;
  for (const char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool is_string_where(const json& value, bool (*accept)(std::string_view)) {
  return value.is_string() && accept(value.get_ref<const std::string&>());
}

bool is_timestamp_text(std::string_view text) { return parse_timestamp(text).has_value(); }

bool is_special_double(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

bool is_null_value(const json& value) {
  return value.is_null() ||
         (value.is_string() && value.get_ref<const std::string&>() == "NULL_VALUE") ||
         (value.is_number_integer() && value.get<json::number_integer_t>() == 0);
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

class SchemaReader {
 public:
  Refusal read_message(json& value, const MessageSchema& schema) {
    if (!value.is_object())
      return refuse(std::string("must be an object (") + std::string(schema.name) + ")");
    json normalized = json::object();
    std::vector<std::pair<std::string_view, std::string_view>> oneofs_set;  // oneof, member
    for (auto& [key, child] : value.items()) {
      const FieldSchema* field = find_field(schema, key);
      if (field == nullptr) {
        return refuse("unknown field " + quote_input(key) + " in " + std::string(schema.name));
      }
      const std::string canonical(field->name);
      if (normalized.contains(canonical)) {
        return refuse("field " + canonical +
                      " given in both spellings (lowerCamel and snake_case)");
      }
      if (!field->oneof.empty()) {
        for (const auto& [oneof, member] : oneofs_set) {
          if (oneof == field->oneof) {
            return refuse("fields " + std::string(member) + " and " + canonical +
                          " exclude each other (" + std::string(schema.name) + "." +
                          std::string(oneof) + ")");
          }
        }
        oneofs_set.emplace_back(field->oneof, field->name);
      }
      const std::size_t mark = enter_field(field->name);
      if (Refusal refusal = read_field(child, *field)) return refusal;
      leave(mark);
      normalized[canonical] = std::move(child);
    }
    for (const std::string_view required : schema.required_oneofs) {
      bool present = false;
      for (const auto& set : oneofs_set) present = present || set.first == required;
      if (!present)
        return refuse(std::string(schema.name) + " needs one of " + members(schema, required));
    }
    value = std::move(normalized);
    return std::nullopt;
  }

 private:
  Refusal read_field(json& value, const FieldSchema& field) {
    if (!field.repeated) return read_single(value, field);
    if (!value.is_array()) return refuse("must be an array");
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::size_t mark = path_.size();
      path_ += '[' + std::to_string(i) + ']';
      if (Refusal refusal = read_single(value[i], field)) return refusal;
      leave(mark);
    }
    return std::nullopt;
  }

  Refusal read_single(json& value, const FieldSchema& field) {
    if (value.is_null() && field.type != FieldType::null_value) {
      return refuse("null is not accepted (it would read as unset)");
    }
    bool ok = false;
    switch (field.type) {
      case FieldType::string:
        ok = value.is_string();
        break;
      case FieldType::bytes:
        ok = is_string_where(value, is_base64);
        break;
      case FieldType::boolean:
        ok = value.is_boolean();
        break;
      case FieldType::int32:
      case FieldType::int64:
        ok = is_integer(value, field.type);
        break;
      case FieldType::double_type:
        ok = value.is_number() || is_string_where(value, is_special_double);
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
        return read_message(value, *field.message);
      case FieldType::value_map:
        return read_map(value, field.message);
      case FieldType::string_map:
        return read_map(value, nullptr);
    }
    if (!ok) return refuse(std::string("must be ") + expected_json(field.type));
    return std::nullopt;
  }

  // map<string, Value> (values_schema set) or map<string, string>.
  Refusal read_map(json& value, const MessageSchema* values_schema) {
    if (!value.is_object()) return refuse("must be an object");
    for (auto& [key, child] : value.items()) {
      const std::size_t mark = path_.size();
      path_ += '[' + quote_input(key) + ']';
      if (values_schema != nullptr) {
        if (Refusal refusal = read_message(child, *values_schema)) return refusal;
      } else if (!child.is_string()) {
        return refuse("must be a string");
      }
      leave(mark);
    }
    return std::nullopt;
  }

  static const FieldSchema* find_field(const MessageSchema& schema, std::string_view key) {
    for (const FieldSchema& field : schema.fields) {
      if (key == field.name || is_snake_case_of(key, field.name)) return &field;
    }
    return nullptr;
  }

  static std::string members(const MessageSchema& schema, std::string_view oneof) {
    std::string out;
    for (const FieldSchema& field : schema.fields) {
      if (field.oneof != oneof) continue;
      if (!out.empty()) out += ", ";
      out += field.name;
    }
    return out;
  }

  std::size_t enter_field(std::string_view name) {
    const std::size_t mark = path_.size();
    if (!path_.empty()) path_ += '.';
    path_ += name;
    return mark;
  }

  void leave(std::size_t mark) { path_.resize(mark); }

  ApiError refuse(const std::string& why) const {
    std::string where =
        path_.empty() ? std::string("request body") : "request body field " + shown_path();
    return ApiError::invalid_argument(where + ": " + why);
  }

  std::string shown_path() const {
    if (path_.size() <= kMaxShownPathBytes) return path_;
    std::size_t start = path_.size() - kMaxShownPathBytes;
    while (start < path_.size() && (static_cast<unsigned char>(path_[start]) & 0xC0) == 0x80) {
      ++start;  // not inside a UTF-8 sequence
    }
    return "…" + path_.substr(start);
  }

  std::string path_;
};

}  // namespace

Checked<json> read_message(json input, const MessageSchema& schema) {
  SchemaReader reader;
  if (Refusal refusal = reader.read_message(input, schema)) return *refusal;
  return input;
}

}  // namespace firewarden::firestore::legacy
