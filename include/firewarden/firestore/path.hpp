#pragma once
// Path segments: percent-decoding exactly once, Firestore's ID rules, and the
// canonical re-encoding sent upstream.
#include <span>
#include <string>
#include <string_view>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/request_model.hpp"

namespace firewarden::firestore {

// Firestore: "Must be no longer than 1,500 bytes".
inline constexpr std::size_t kMaxIdBytes = 1500;

// Percent-decodes one raw URL path segment exactly once (RFC 3986 §2.1).
// Refused, because a server further along could read them differently:
// bytes outside RFC 3986 pchar (and ':', which only introduces a custom method,
// and '+', which some decoders turn into a space), malformed escapes, an encoded
// '/' (%2F), a decoded segment that still contains an escape (double encoding),
// invalid UTF-8 and control characters.
Checked<std::string> decode_path_segment(std::string_view raw);

// Firestore's rules for a collection or document ID: non-empty, not "." or "..",
// no '/', at most kMaxIdBytes, not of the reserved form __…__, valid UTF-8
// without control characters.
Refusal check_id(std::string_view id);

// Canonical form of a decoded segment: RFC 3986 unreserved characters and the
// parentheses of "(default)" as they are, every other byte as %XX.
std::string encode_path_segment(std::string_view decoded);

// The collection path made of `segments` (all literal).
CollectionPattern literal_collection(std::span<const std::string> segments);
CollectionPattern literal_collection(std::span<const std::string_view> segments);

}  // namespace firewarden::firestore
