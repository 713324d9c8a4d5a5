#include "firewarden/text/percent.hpp"

#include <algorithm>
#include <cctype>

#include "firewarden/text/ascii.hpp"

namespace firewarden::text {
namespace {

using text::hex_value;

bool is_escape_at(std::string_view text, std::size_t i) {
  return i + 2 < text.size() && text[i] == '%' && hex_value(text[i + 1]) >= 0 &&
         hex_value(text[i + 2]) >= 0;
}

// %XX decoded once; with plus_is_space also '+' as a space (the form
// encoding, WHATWG URL §5.1). Nullopt on a malformed escape.
std::optional<std::string> decode(std::string_view raw, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (plus_is_space && raw[i] == '+') {
      decoded += ' ';
      continue;
    }
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

constexpr std::string_view hex_digits = "0123456789ABCDEF";

}  // namespace

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::optional<std::string> percent_decode(std::string_view raw) { return decode(raw, false); }

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

std::string form_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '*' || c == '-' || c == '.' || c == '_') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex_digits[u >> 4]);
      out.push_back(hex_digits[u & 15]);
    }
  }
  return out;
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += form_escape(name);
    out.push_back('=');
    out += form_escape(value);
  }
  return out;
}

std::optional<FormFields> form_decode(std::string_view body) {
  FormFields fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq), true);
    auto value =
        decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

}  // namespace firewarden::text
