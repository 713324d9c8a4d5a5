#include "firewarden/telemetry/time_format.hpp"

#include <catch2/catch.hpp>

using firewarden::telemetry::format_rfc3339;
using firewarden::telemetry::format_rfc3339_millis;

TEST_CASE("RFC 3339 in UTC, whole seconds or milliseconds") {
  using namespace std::chrono;
  const system_clock::time_point when = sys_days{year{2014} / 10 / 2} + 15h + 1min + 23s + 45ms;
  CHECK(format_rfc3339(when) == "2014-10-02T15:01:23Z");
  CHECK(format_rfc3339_millis(when) == "2014-10-02T15:01:23.045Z");
  CHECK(format_rfc3339_millis(sys_days{year{1970} / 1 / 1}) == "1970-01-01T00:00:00.000Z");
  // The calendar part is cached per second: the same second, the next one,
  // and back again.
  CHECK(format_rfc3339_millis(when + 900ms) == "2014-10-02T15:01:23.945Z");
  CHECK(format_rfc3339_millis(when + 1s) == "2014-10-02T15:01:24.045Z");
  CHECK(format_rfc3339_millis(when) == "2014-10-02T15:01:23.045Z");
  CHECK(format_rfc3339_millis(sys_days{year{2024} / 2 / 29} + 23h + 59min + 59s + 999ms) ==
        "2024-02-29T23:59:59.999Z");
}
