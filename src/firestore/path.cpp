#include "firewarden/firestore/path.hpp"

#include "firewarden/firestore/percent_encoding.hpp"
#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore {
namespace {

// RFC 3986 pchar besides unreserved and escapes, minus ':' (custom method),
// '+' (space to some decoders) and ';' (path parameters to some servers).
constexpr std::string_view kAllowedRawPathPunctuation = "!$&'()*,=@";

}  // namespace

Checked<std::string> decode_path_segment(std::string_view raw) {
  bool has_escape = false;
  for (const char c : raw) {
    has_escape = has_escape || c == '%';
    if (c == ':') {
      return ApiError::invalid_argument(
          "':' in the path is only allowed before the custom method of the last segment: " +
          quote_input(raw));
    }
    if (c != '%' && !is_unreserved(c) &&
        kAllowedRawPathPunctuation.find(c) == std::string_view::npos) {
      return ApiError::invalid_argument("character that must be percent-encoded in path segment " +
                                        quote_input(raw));
    }
  }
  // Without '%' the segment is its own decoding, and every byte passed the
  // check above (unreserved or the punctuation allowed: printable ASCII, no
  // '/'), so none of the checks of a decoded segment below can refuse it.
  if (!has_escape) return std::string(raw);
  std::optional<std::string> decoded = percent_decode(raw);
  if (!decoded) {
    return ApiError::invalid_argument("malformed percent-encoding in path segment " +
                                      quote_input(raw));
  }
  // A raw segment has no '/', so a decoded one came from %2F.
  if (decoded->find('/') != std::string::npos) {
    return ApiError::invalid_argument("encoded '/' (%2F) in path segment " + quote_input(raw));
  }
  if (contains_percent_escape(*decoded)) {
    return ApiError::invalid_argument("double percent-encoding in path segment " +
                                      quote_input(raw));
  }
  if (!is_valid_utf8(*decoded)) {
    return ApiError::invalid_argument("invalid UTF-8 in path segment " + quote_input(raw));
  }
  if (has_control_character(*decoded)) {
    return ApiError::invalid_argument("control character in path segment " + quote_input(raw));
  }
  return std::move(*decoded);
}

Refusal check_id(std::string_view id) {
  if (id.empty()) return ApiError::invalid_argument("empty collection or document ID");
  if (id == "." || id == "..") {
    return ApiError::invalid_argument("'.' and '..' are not valid IDs");
  }
  if (id.size() > kMaxIdBytes) {
    return ApiError::invalid_argument("ID longer than 1500 bytes: " + quote_input(id));
  }
  if (id.size() >= 4 && id.starts_with("__") && id.ends_with("__")) {
    return ApiError::invalid_argument("reserved ID of the form __…__: " + quote_input(id));
  }
  if (id.find('/') != std::string_view::npos) {
    return ApiError::invalid_argument("'/' in ID " + quote_input(id));
  }
  if (!is_valid_utf8(id))
    return ApiError::invalid_argument("invalid UTF-8 in ID " + quote_input(id));
  if (has_control_character(id)) {
    return ApiError::invalid_argument("control character in ID " + quote_input(id));
  }
  return std::nullopt;
}

std::string encode_path_segment(std::string_view decoded) { return percent_encode(decoded, "()"); }

namespace {

template <typename Text>
CollectionPattern literal_collection_of(std::span<const Text> segments) {
  CollectionPattern pattern;
  pattern.segments.reserve(segments.size());
  for (const Text& segment : segments) {
    pattern.segments.push_back(Segment::literal(std::string(segment)));
  }
  return pattern;
}

}  // namespace

CollectionPattern literal_collection(std::span<const std::string> segments) {
  return literal_collection_of(segments);
}

CollectionPattern literal_collection(std::span<const std::string_view> segments) {
  return literal_collection_of(segments);
}

}  // namespace firewarden::firestore
