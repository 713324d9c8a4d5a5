#pragma once
// ASCII character helpers for protocol text (header names, percent escapes,
// XFCC keys): locale-free on purpose, since <cctype> follows the C locale and
// protocol syntax is defined on ASCII bytes only (RFC 9110 §5.1, RFC 3986 §2.1).
// A leaf: no dependencies, usable by the pure core.

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

}  // namespace firewarden::text
