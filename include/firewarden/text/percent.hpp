#pragma once
// RFC 3986 §2 percent-encoding, and the application/x-www-form-urlencoded
// form (WHATWG URL §5) that OAuth 2.0 token endpoints speak.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace firewarden::text {

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c);

// Decodes every %XX exactly once; nullopt if an escape is malformed.
std::optional<std::string> percent_decode(std::string_view raw);

// True if `text` contains a well-formed %XX escape (decoding it again would
// change it: double encoding).
bool contains_percent_escape(std::string_view text);

// Every byte but the unreserved ones and those in `keep` as %XX (upper-case hex).
std::string percent_encode(std::string_view text, std::string_view keep = {});

using FormFields = std::vector<std::pair<std::string, std::string>>;

// One form or query component: unreserved characters (ALPHA DIGIT * - . _)
// kept, space as '+', everything else %XX.
std::string form_escape(std::string_view text);
std::string form_encode(const FormFields& fields);
// The inverse: '+' is a space, %XX decoded. Nullopt on a malformed escape.
std::optional<FormFields> form_decode(std::string_view body);

}  // namespace firewarden::text
