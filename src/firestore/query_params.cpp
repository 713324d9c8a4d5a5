#include "firewarden/firestore/query_params.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>

#include "firewarden/firestore/percent_encoding.hpp"
#include "firewarden/firestore/text.hpp"
#include "firewarden/firestore/timestamp.hpp"

namespace firewarden::firestore {
namespace {

// Google's system parameters that only shape the response. Any of them may be
// written with a leading '$'. Every other system parameter (access_token, key,
// quotaUser, callback, $ct, $method, $.xgafv, …) is refused by omission.
constexpr auto kSystemParams = std::to_array<ParamSpec>({
    {"alt", ParamType::string},
    {"fields", ParamType::string},
    {"prettyPrint", ParamType::boolean},
});

// The response formats the proxy can read: JSON, optionally with enums as
// numbers (the Node SDK sends $alt=json;enum-encoding=int).
constexpr auto kJsonAlts = std::to_array<std::string_view>({"json", "json;enum-encoding=int"});

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '$';
}

// A parameter name as Google reads it: percent-decoded once (Python's REST
// client sends `$alt` as `%24alt`), then a plain name. Raw, only name
// characters and escapes are accepted; a name still holding '%' after the
// one decode (`%2524alt`) is double-encoded and refused, since a server that
// decodes again would read another name than the one checked.
Checked<std::string> decode_name(std::string_view raw) {
  const auto refuse = [&](std::string_view why) {
    return ApiError::invalid_argument("query parameter name " + quote_input(raw) + " " +
                                      std::string(why));
  };
  if (raw.empty()) return refuse("is empty");
  if (!std::all_of(raw.begin(), raw.end(), [](char c) { return is_name_char(c) || c == '%'; })) {
    return refuse("is not a plain name");
  }
  std::optional<std::string> decoded = percent_decode(raw);
  if (!decoded) return refuse("has a malformed percent-encoding");
  if (decoded->find('%') != std::string::npos) return refuse("is percent-encoded twice");
  if (decoded->empty() || !std::all_of(decoded->begin(), decoded->end(), is_name_char)) {
    return refuse("is not a plain name once decoded");
  }
  return std::move(*decoded);
}

// Raw characters a value may carry besides unreserved ones and escapes.
// Refused as ambiguous: '+' (space to form decoders, plus to others) and ';'
// (a pair separator to some parsers).
constexpr std::string_view kAllowedRawValuePunctuation = "%!$'()*,=:@/?";

Checked<std::string> decode_value(std::string_view name, std::string_view raw) {
  const auto refuse = [&](std::string_view why) {
    return ApiError::invalid_argument("query parameter " + quote_input(name) + ": " +
                                      std::string(why) + " in " + quote_input(raw));
  };
  for (const char c : raw) {
    if (!is_unreserved(c) && kAllowedRawValuePunctuation.find(c) == std::string_view::npos) {
      return refuse("character that must be percent-encoded");
    }
  }
  std::optional<std::string> decoded = percent_decode(raw);
  if (!decoded) return refuse("malformed percent-encoding");
  if (!is_valid_utf8(*decoded)) return refuse("invalid UTF-8");
  if (has_control_character(*decoded)) return refuse("control character");
  return std::move(*decoded);
}

// Is `key` a spelling of the dotted lowerCamel `canonical`, each component in
// lowerCamel or snake_case ("current_document.updateTime" spells
// "currentDocument.updateTime")?
bool spells(std::string_view key, std::string_view canonical) {
  while (true) {
    const std::size_t key_dot = key.find('.');
    const std::size_t canonical_dot = canonical.find('.');
    const std::string_view key_part = key.substr(0, key_dot);
    const std::string_view canonical_part = canonical.substr(0, canonical_dot);
    if (key_part != canonical_part && !is_snake_case_of(key_part, canonical_part)) return false;
    if (key_dot == std::string_view::npos || canonical_dot == std::string_view::npos) {
      return key_dot == canonical_dot;
    }
    key.remove_prefix(key_dot + 1);
    canonical.remove_prefix(canonical_dot + 1);
  }
}

const ParamSpec* find_spec(std::string_view key, std::span<const ParamSpec> method_params) {
  const bool dollar = key.starts_with('$');
  if (dollar) key.remove_prefix(1);
  for (const ParamSpec& spec : kSystemParams) {
    if (key == spec.name) return &spec;
  }
  if (dollar) return nullptr;  // only system parameters have a '$' form
  for (const ParamSpec& spec : method_params) {
    if (spells(key, spec.name)) return &spec;
  }
  return nullptr;
}

Refusal check_value(const ParamSpec& spec, const std::string& value) {
  const auto refuse = [&](std::string_view expected) {
    return ApiError::invalid_argument("query parameter " + std::string(spec.name) + " must be " +
                                      std::string(expected) + ", not " + quote_input(value));
  };
  if (spec.name == "alt") {
    if (std::find(kJsonAlts.begin(), kJsonAlts.end(), value) == kJsonAlts.end()) {
      return refuse("json (firewarden reads only JSON)");
    }
    return std::nullopt;
  }
  switch (spec.type) {
    case ParamType::string:
      return std::nullopt;
    case ParamType::boolean:
      if (value != "true" && value != "false") return refuse("true or false");
      return std::nullopt;
    case ParamType::int32: {
      const auto number = parse_decimal_int64(value);
      if (!number || *number < std::numeric_limits<std::int32_t>::min() ||
          *number > std::numeric_limits<std::int32_t>::max()) {
        return refuse("a 32-bit integer");
      }
      return std::nullopt;
    }
    case ParamType::timestamp:
      if (!parse_timestamp(value)) return refuse("an RFC 3339 timestamp");
      return std::nullopt;
    case ParamType::bytes:
      if (!is_base64(value)) return refuse("base64");
      return std::nullopt;
  }
  return refuse("valid");
}

}  // namespace

const std::string* QueryParams::find(std::string_view canonical_name) const {
  for (const auto& [name, value] : entries) {
    if (name == canonical_name) return &value;
  }
  return nullptr;
}

std::string QueryParams::to_query_string() const {
  std::string out;
  for (const auto& [name, value] : entries) {
    if (!out.empty()) out += '&';
    out += name;  // canonical names are plain [A-Za-z.]
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

Checked<QueryParams> read_query_params(std::string_view raw_query,
                                       std::span<const ParamSpec> method_params) {
  QueryParams params;
  if (raw_query.empty()) return params;
  std::map<std::string_view, std::string_view> spelling_of;   // canonical -> raw key seen
  std::map<std::string_view, std::string_view> oneof_member;  // oneof -> canonical seen

  std::size_t start = 0;
  while (start <= raw_query.size()) {
    const std::size_t end = std::min(raw_query.find('&', start), raw_query.size());
    const std::string_view pair = raw_query.substr(start, end - start);
    start = end + 1;

    if (pair.empty()) return ApiError::invalid_argument("empty query parameter");
    const std::size_t equals = pair.find('=');
    const std::string_view key = pair.substr(0, equals);
    const std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    Checked<std::string> name = decode_name(key);
    if (!name.ok()) return name.error();
    const ParamSpec* spec = find_spec(name.value(), method_params);
    if (spec == nullptr) {
      return ApiError::invalid_argument("query parameter " + quote_input(key) +
                                        " is not allowed for this method");
    }
    // The raw name is compared, not the decoded one: one parameter given in
    // two spellings (alt and $alt) or two encodings ($alt and %24alt) is
    // refused, as a server could keep either value.
    if (const auto seen = spelling_of.find(spec->name); seen != spelling_of.end()) {
      if (seen->second != key) {
        return ApiError::invalid_argument("query parameter " + std::string(spec->name) +
                                          " given in two spellings or encodings: " +
                                          quote_input(seen->second) + " and " + quote_input(key));
      }
      if (!spec->repeated) {
        return ApiError::invalid_argument("query parameter " + quote_input(key) +
                                          " given more than once");
      }
    }
    spelling_of.emplace(spec->name, key);
    if (!spec->oneof.empty()) {
      const auto [member, inserted] = oneof_member.emplace(spec->oneof, spec->name);
      if (!inserted && member->second != spec->name) {
        return ApiError::invalid_argument("query parameters " + std::string(member->second) +
                                          " and " + std::string(spec->name) +
                                          " exclude each other");
      }
    }

    Checked<std::string> value = decode_value(key, raw_value);
    if (!value.ok()) return value.error();
    if (Refusal refusal = check_value(*spec, value.value())) return *refusal;
    params.entries.emplace_back(spec->name, std::move(value).value());
  }
  return params;
}

}  // namespace firewarden::firestore
