#include "firewarden/firestore/text.hpp"

#include <cstdint>
#include <limits>

namespace firewarden::firestore {

bool is_snake_case_of(std::string_view candidate, std::string_view lower_camel) {
  std::size_t i = 0;
  for (const char c : lower_camel) {
    if (c >= 'A' && c <= 'Z') {
      if (i + 1 >= candidate.size() || candidate[i] != '_' ||
          candidate[i + 1] != static_cast<char>(c - 'A' + 'a')) {
        return false;
      }
      i += 2;
    } else {
      if (i >= candidate.size() || candidate[i] != c) return false;
      ++i;
    }
  }
  return i == candidate.size();
}

std::optional<std::int64_t> parse_decimal_int64(std::string_view text) {
  const bool negative = text.starts_with('-');
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  std::uint64_t magnitude = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
  }
  constexpr std::uint64_t kMaxPositive = 9223372036854775807ULL;
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return std::nullopt;
  if (negative) {
    return magnitude == kMaxPositive + 1 ? std::numeric_limits<std::int64_t>::min()
                                         : -static_cast<std::int64_t>(magnitude);
  }
  return static_cast<std::int64_t>(magnitude);
}

}  // namespace firewarden::firestore
