#include "firewarden/firestore/percent_encoding.hpp"

#include <algorithm>

#include "firewarden/text/ascii.hpp"

namespace firewarden::firestore {
namespace {

using text::hex_value;

bool is_escape_at(std::string_view text, std::size_t i) {
  return i + 2 < text.size() && text[i] == '%' && hex_value(text[i + 1]) >= 0 &&
         hex_value(text[i + 2]) >= 0;
}

}  // namespace

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::optional<std::string> percent_decode(std::string_view raw) {
  std::string decoded;
  decoded.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      decoded += raw[i];
      continue;
    }
    if (!is_escape_at(raw, i)) return std::nullopt;
    decoded += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
    i += 2;
  }
  return decoded;
}

bool contains_percent_escape(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_escape_at(text, i)) return true;
  }
  return false;
}

std::string percent_encode(std::string_view text, std::string_view keep) {
  const auto kept = [&](char c) {
    return is_unreserved(c) || keep.find(c) != std::string_view::npos;
  };
  // The usual segment needs no escape: copied whole, not byte by byte.
  if (std::all_of(text.begin(), text.end(), kept)) return std::string(text);
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (kept(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

}  // namespace firewarden::firestore
