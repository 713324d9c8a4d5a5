#include "firewarden/text/rfc3339.hpp"

#include <array>

namespace firewarden::text {
namespace {

// Reads exactly `count` decimal digits at text[pos], advancing pos. Inlined:
// a call per field cost more than the digits themselves (10 per commit body).
[[gnu::always_inline]] inline std::optional<std::int64_t> read_digits(std::string_view text,
                                                                      std::size_t& pos,
                                                                      std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  std::int64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

[[gnu::always_inline]] inline bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

bool is_leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::int64_t days_in_month(std::int64_t y, std::int64_t m) {
  static constexpr auto kDays =
      std::to_array<int>({31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31});
  return m == 2 && is_leap_year(y) ? 29 : kDays.at(static_cast<std::size_t>(m - 1));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// One body for both modes; a template so that the strict mode, on the
// request path, compiles to the code it had before the lenient mode existed.
template <bool kLenient>
std::optional<Timestamp> parse(std::string_view text) {
  const auto expect_letter = [&](std::size_t& at, char upper) {
    return expect(text, at, upper) ||
           (kLenient && expect(text, at, static_cast<char>(upper - 'A' + 'a')));
  };
  std::size_t pos = 0;
  const auto year = read_digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = read_digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = read_digits(text, pos, 2);
  if (!day || !expect_letter(pos, 'T')) return std::nullopt;
  const auto hour = read_digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = read_digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto second = read_digits(text, pos, 2);
  if (!second) return std::nullopt;
  if ((!kLenient && *year < 1) || *month < 1 || *month > 12 || *day < 1 ||
      *day > days_in_month(*year, *month) || *hour > 23 || *minute > 59 ||
      *second > (kLenient ? 60 : 59)) {
    return std::nullopt;
  }

  std::int32_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits == 9) {
        if (!kLenient) return std::nullopt;
        ++pos;  // beyond nanoseconds: ignored
        continue;
      }
      ++digits;
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }

  std::int64_t offset_seconds = 0;
  if (expect_letter(pos, 'Z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const std::int64_t sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    const auto offset_hours = read_digits(text, pos, 2);
    if (!offset_hours || !expect(text, pos, ':')) return std::nullopt;
    const auto offset_minutes = read_digits(text, pos, 2);
    if (!offset_minutes) return std::nullopt;
    if (!kLenient && (*offset_hours > 23 || *offset_minutes > 59)) return std::nullopt;
    offset_seconds = sign * (*offset_hours * 3600 + *offset_minutes * 60);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const std::int64_t seconds =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
      *hour * 3600 + *minute * 60 + *second - offset_seconds;
  if (!kLenient && (seconds < kMinSeconds || seconds > kMaxSeconds)) return std::nullopt;
  return Timestamp{seconds, nanos};
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text, Rfc3339 mode) {
  return mode == Rfc3339::strict ? parse<false>(text) : parse<true>(text);
}

}  // namespace firewarden::text
