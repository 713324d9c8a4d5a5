#pragma once
// Byte-level text checks shared by the path, query and body readers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firewarden::firestore {

// Length of the well-formed UTF-8 sequence starting at text[i] (i < size), or 0
// (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// C0 controls, DEL, and (in valid UTF-8) the C1 controls U+0080..U+009F.
bool has_control_character(std::string_view text);

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b);

// Proto3 JSON accepts a field's lowerCamel json_name and its snake_case proto
// name alike: is `candidate` the snake_case form of `lower_camel`? ("structured_query"
// of "structuredQuery"; a name without capitals is its own snake_case form.)
bool is_snake_case_of(std::string_view candidate, std::string_view lower_camel);

// Base64 as proto3 JSON accepts it for bytes: standard or URL-safe alphabet,
// optional '=' padding at the end.
bool is_base64(std::string_view text);

// A decimal integer ("-12"), no sign '+', no leading zeros except "0", in range.
std::optional<std::int64_t> parse_decimal_int64(std::string_view text);

// Client input quoted for an error message: at most kMaxQuotedBytes of it,
// control characters and invalid UTF-8 shown as \xNN, cut input marked with "…".
inline constexpr std::size_t kMaxQuotedBytes = 100;
std::string quote_input(std::string_view input);

}  // namespace firewarden::firestore
