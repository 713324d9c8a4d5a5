#include "firewarden/telemetry/time_format.hpp"

#include <cstdio>

namespace firewarden::telemetry {
namespace {

std::string format(std::chrono::system_clock::time_point when, bool with_millis) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when - seconds);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{seconds - days};
  char buffer[40];
  const int n = std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()));
  std::string out(buffer, static_cast<std::size_t>(n));
  if (with_millis) {
    std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(millis.count()));
    out += buffer;
  }
  return out + "Z";
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point when) {
  return format(when, false);
}

std::string format_rfc3339_millis(std::chrono::system_clock::time_point when) {
  return format(when, true);
}

}  // namespace firewarden::telemetry
