#pragma once
// TEST ORACLE ONLY: the nlohmann-DOM reader that json_tape.cpp replaced (as of
// cf42d29), kept so tests can demand the same decisions from the new parser.
// JSON read so that no two parsers can disagree about it (RFC 8259 §4 leaves
// duplicate names to the implementation: Google takes the last one, so do
// nlohmann's defaults). Refused: duplicate keys at any level, nesting deeper
// than kMaxJsonDepth, a byte order mark, invalid UTF-8 (also in \u escapes:
// lone surrogates), numbers outside double range, anything after the value,
// and a top-level value that is not an object.
#include <nlohmann/json.hpp>
#include <string_view>

#include "firewarden/firestore/checked.hpp"

namespace firewarden::firestore::legacy {

// Firestore nests maps and arrays up to 20 levels; each level costs three JSON
// levels ({"mapValue":{"fields":{…}}}) below a few request levels, so 100 leaves
// room for every valid document and still bounds recursion.
inline constexpr std::size_t kLegacyMaxJsonDepth = 100;

Checked<nlohmann::json> parse_json_object(std::string_view body);

}  // namespace firewarden::firestore::legacy
