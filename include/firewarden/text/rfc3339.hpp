#pragma once
// RFC 3339 §5.6 date-times ("2014-10-02T15:01:23.045Z", "…+02:00"): one
// parser, in two strictnesses, for the two places that read them.
#include <cstdint>
#include <optional>
#include <string_view>

namespace firewarden::text {

struct Timestamp {
  std::int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  std::int32_t nanos = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

enum class Rfc3339 {
  // google.protobuf.Timestamp's JSON form (timestamp.proto), what Firestore
  // accepts from clients: upper-case 'T' and 'Z', seconds 00..59, 0 to 9
  // fractional digits, offsets up to 23:59, years 0001..9999.
  strict,
  // Any RFC 3339 date-time as a server may write it (IAM Credentials'
  // expireTime): 't' and 'z' too (RFC 3339 §5.6 NOTE), a leap second 60,
  // digits beyond nanoseconds ignored, offsets and years unchecked.
  lenient,
};

std::optional<Timestamp> parse_rfc3339(std::string_view text, Rfc3339 mode);

}  // namespace firewarden::text
