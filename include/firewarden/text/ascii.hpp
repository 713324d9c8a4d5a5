#pragma once
// ASCII character helpers for protocol text (header names, percent escapes,
// XFCC keys): locale-free on purpose, since <cctype> follows the C locale and
// protocol syntax is defined on ASCII bytes only (RFC 9110 §5.1, RFC 3986 §2.1).
// A leaf: no dependencies, usable by the pure core.

#include <cstddef>
#include <string>
#include <string_view>

namespace firewarden::text {

// The value of a hexadecimal digit (either case), or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 'A'-'Z' to 'a'-'z'; every other byte as it is.
constexpr char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `text` with ASCII letters in lower case (header names).
inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_lower(c);
  return out;
}

// Equal but for ASCII letter case (header names and values, media types,
// XFCC keys); bytes above 0x7F compare as they are.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// Without leading and trailing optional whitespace: SP and HTAB only
// (RFC 9110 §5.6.3 OWS), never CR, LF or other bytes.
constexpr std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// `text` in double quotes for a diagnostic, its first `max` bytes only (then
// "…"), so a huge value cannot flood the output. Bytes are kept as they are:
// for values the reader has already accepted as text (YAML scalars, policy
// patterns); untrusted request bytes go through quote_input (utf8.hpp).
inline std::string quoted_prefix(std::string_view text, std::size_t max) {
  // Appended piece by piece: `"\"" + std::string(...)` trips GCC 12's false
  // -Wrestrict positive at -O3 (GCC bug 105651).
  std::string out = "\"";
  out += text.substr(0, max);
  if (text.size() > max) out += "…";
  out += '"';
  return out;
}

}  // namespace firewarden::text
