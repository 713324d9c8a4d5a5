#include "firewarden/text/base64.hpp"

namespace firewarden::text {
namespace {

std::string base64_with(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned value = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    out.push_back(alphabet[(value >> 6) & 63]);
    out.push_back(alphabet[value & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned value = byte(i) << 16;
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const unsigned value = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    out.push_back(alphabet[(value >> 6) & 63]);
    if (pad) out += "=";
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                     true);
}

std::string base64url_encode(std::string_view bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     false);
}

bool is_base64(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=' && text.size() - end < 2) --end;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace firewarden::text
