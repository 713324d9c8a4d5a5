#pragma once
// google.protobuf.Timestamp in its JSON form: RFC 3339, "Z" or a numeric offset,
// 0 to 9 fractional digits, years 0001..9999 (timestamp.proto). The parser is
// text/'s, in its strict mode.
#include <optional>
#include <string_view>

#include "firewarden/text/rfc3339.hpp"

namespace firewarden::firestore {

using text::Timestamp;

inline std::optional<Timestamp> parse_timestamp(std::string_view text) {
  return text::parse_rfc3339(text, text::Rfc3339::strict);
}

}  // namespace firewarden::firestore
