#pragma once
// UTF-8 checks (RFC 3629) and the quoting of client input in error messages.
#include <cstddef>
#include <string>
#include <string_view>

namespace firewarden::text {

// Length of the well-formed UTF-8 sequence starting at text[i] (i < size), or 0
// (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// C0 controls, DEL, and (in valid UTF-8) the C1 controls U+0080..U+009F.
bool has_control_character(std::string_view text);

// Client input quoted for an error message: at most kMaxQuotedBytes of it,
// control characters and invalid UTF-8 shown as \xNN, cut input marked with "…".
inline constexpr std::size_t kMaxQuotedBytes = 100;
std::string quote_input(std::string_view input);

}  // namespace firewarden::text
