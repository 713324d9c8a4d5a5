#pragma once
// google.protobuf.Timestamp in its JSON form: RFC 3339, "Z" or a numeric offset,
// 0 to 9 fractional digits, years 0001..9999 (timestamp.proto).
#include <cstdint>
#include <optional>
#include <string_view>

namespace firewarden::firestore {

struct Timestamp {
  std::int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  std::int32_t nanos = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

std::optional<Timestamp> parse_timestamp(std::string_view text);

}  // namespace firewarden::firestore
