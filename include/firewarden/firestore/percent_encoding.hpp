#pragma once
// RFC 3986 §2 percent-encoding, shared by the path and query readers.
#include <optional>
#include <string>
#include <string_view>

namespace firewarden::firestore {

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c);

// Decodes every %XX exactly once; nullopt if an escape is malformed.
std::optional<std::string> percent_decode(std::string_view raw);

// True if `text` contains a well-formed %XX escape (decoding it again would
// change it: double encoding).
bool contains_percent_escape(std::string_view text);

// Every byte but the unreserved ones and those in `keep` as %XX (upper-case hex).
std::string percent_encode(std::string_view text, std::string_view keep = {});

}  // namespace firewarden::firestore
