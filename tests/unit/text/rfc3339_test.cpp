// The one RFC 3339 parser, in its two modes.
#include "firewarden/text/rfc3339.hpp"

#include <catch2/catch.hpp>
#include <string_view>

using firewarden::text::parse_rfc3339;
using firewarden::text::Rfc3339;
using firewarden::text::Timestamp;

namespace {
constexpr std::int64_t k20141002T150123 = 1412262083;
}

TEST_CASE("both modes read the common forms alike") {
  for (const Rfc3339 mode : {Rfc3339::strict, Rfc3339::lenient}) {
    CHECK(parse_rfc3339("2014-10-02T15:01:23Z", mode) == Timestamp{k20141002T150123, 0});
    CHECK(parse_rfc3339("2014-10-02T15:01:23.045123456Z", mode) ==
          Timestamp{k20141002T150123, 45123456});
    CHECK(parse_rfc3339("2014-10-02T17:01:23+02:00", mode) == Timestamp{k20141002T150123, 0});
    CHECK(parse_rfc3339("2014-10-02T14:31:23.5-00:30", mode) ==
          Timestamp{k20141002T150123, 500000000});
    CHECK(parse_rfc3339("2016-02-29T00:00:00Z", mode).has_value());
    for (const std::string_view bad :
         {"", "2014-10-02", "2014-10-02T15:01:23", "2014-10-02 15:01:23Z", "2014-13-02T15:01:23Z",
          "2015-02-29T00:00:00Z", "2014-10-02T24:00:00Z", "2014-10-02T15:01:23.Z",
          "2014-10-02T15:01:23+0200", "2014-10-02T15:01:23Zx", "+2014-10-02T15:01:23Z"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_rfc3339(bad, mode).has_value());
    }
  }
}

TEST_CASE("strict mode keeps to google.protobuf.Timestamp") {
  for (const std::string_view bad :
       {"2014-10-02t15:01:23Z", "2014-10-02T15:01:23z", "2014-10-02T15:01:60Z",
        "2014-10-02T15:01:23.0123456789Z", "2014-10-02T15:01:23+24:00", "0000-12-31T00:00:00Z",
        "0001-01-01T00:00:00+00:01"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339(bad, Rfc3339::strict).has_value());
  }
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z", Rfc3339::strict) == Timestamp{-62135596800, 0});
  CHECK(parse_rfc3339("9999-12-31T23:59:59.999999999Z", Rfc3339::strict) ==
        Timestamp{253402300799, 999999999});
}

TEST_CASE("lenient mode takes what a server may write") {
  CHECK(parse_rfc3339("2014-10-02t15:01:23z", Rfc3339::lenient) == Timestamp{k20141002T150123, 0});
  CHECK(parse_rfc3339("2014-10-02T15:01:23.0123456789Z", Rfc3339::lenient) ==
        Timestamp{k20141002T150123, 12345678});
  // A leap second reads as the first second of the next minute.
  CHECK(parse_rfc3339("2016-12-31T23:59:60Z", Rfc3339::lenient) ==
        parse_rfc3339("2017-01-01T00:00:00Z", Rfc3339::lenient));
}
