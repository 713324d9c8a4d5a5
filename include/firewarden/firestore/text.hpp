#pragma once
// Byte-level text checks shared by the path, query and body readers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/text/base64.hpp"
#include "firewarden/text/utf8.hpp"

namespace firewarden::firestore {

// The generic helpers live in text/; named here for the readers of this module.
using text::has_control_character;
using text::is_base64;
using text::is_valid_utf8;
using text::kMaxQuotedBytes;
using text::quote_input;
using text::utf8_sequence_length;

// Proto3 JSON accepts a field's lowerCamel json_name and its snake_case proto
// name alike: is `candidate` the snake_case form of `lower_camel`? ("structured_query"
// of "structuredQuery"; a name without capitals is its own snake_case form.)
bool is_snake_case_of(std::string_view candidate, std::string_view lower_camel);

// A decimal integer ("-12"), no sign '+', no leading zeros except "0", in range.
std::optional<std::int64_t> parse_decimal_int64(std::string_view text);

}  // namespace firewarden::firestore
