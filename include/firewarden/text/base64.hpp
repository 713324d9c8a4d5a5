#pragma once
// Base64 (RFC 4648 §4) and base64url (RFC 4648 §5), written here rather than
// taken from OpenSSL so that the pure core can check it without a dependency.
#include <string>
#include <string_view>

namespace firewarden::text {

std::string base64_encode(std::string_view bytes);     // padded with '='
std::string base64url_encode(std::string_view bytes);  // no padding (RFC 7515 §2)

// Base64 as proto3 JSON accepts it for bytes: standard or URL-safe alphabet,
// optional '=' padding at the end.
bool is_base64(std::string_view text);

}  // namespace firewarden::text
