#include "firewarden/identity/spiffe_id.hpp"

#include <utility>

#include "parse_helpers.hpp"

namespace firewarden::identity {
namespace {

using detail::is_lower_alnum;
using detail::refuse;

// SPIFFE-ID §2 defines the scheme as `spiffe`; §2.4 calls scheme and trust
// domain case-insensitive, but §2.1 requires the trust domain in lowercase.
// We accept the lowercase spelling only, so each ID has exactly one form.
constexpr std::string_view scheme_prefix = "spiffe://";

using detail::MaybeError;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_punctuation(char c) { return c == '.' || c == '-' || c == '_'; }

// SPIFFE-ID §2.1: [a-z0-9.-_].
bool is_trust_domain_char(char c) { return is_lower_alnum(c) || is_punctuation(c); }
// SPIFFE-ID §2.2: [a-zA-Z0-9.-_].
bool is_path_char(char c) { return is_lower_alnum(c) || is_upper(c) || is_punctuation(c); }

bool contains(std::string_view text, char c) { return text.find(c) != std::string_view::npos; }

// SPIFFE-ID §2: no query and no fragment; §2.1 and §2.2: no
// percent-encoding anywhere. Checked over everything after the scheme
// first, so `spiffe://td?x` reports the query, not a bad trust domain.
MaybeError check_uri_delimiters(std::string_view rest) {
  if (contains(rest, '?')) return refuse("has_query", "a SPIFFE ID has no query component");
  if (contains(rest, '#')) return refuse("has_fragment", "a SPIFFE ID has no fragment component");
  if (contains(rest, '%')) {
    return refuse("percent_encoded", "a SPIFFE ID has no percent-encoded characters");
  }
  return std::nullopt;
}

// SPIFFE-ID §2.2 also forbids a trailing '/'. `path` is "" or starts with '/'.
MaybeError check_path(std::string_view path) {
  if (path.empty()) return std::nullopt;
  if (path.back() == '/') return refuse("trailing_slash", "the path ends with '/'");
  for (const std::string_view segment : split_path(path)) {
    if (MaybeError error = check_path_segment(segment)) return error;
  }
  return std::nullopt;
}

}  // namespace

std::string SpiffeId::to_string() const {
  std::string out;
  out.reserve(scheme_prefix.size() + trust_domain.size() + path.size());
  out.append(scheme_prefix).append(trust_domain).append(path);
  return out;
}

std::vector<std::string_view> SpiffeId::segments() const { return split_path(path); }

Result<SpiffeId> parse_spiffe_id(std::string_view text) {
  if (text.empty()) return refuse("empty", "the SPIFFE ID is empty");
  if (text.size() > max_spiffe_id_bytes) {
    return refuse("too_long", "the SPIFFE ID is longer than 2048 bytes");
  }
  if (!text.starts_with(scheme_prefix)) {
    return refuse("bad_scheme", "a SPIFFE ID starts with lowercase 'spiffe://'");
  }
  const std::string_view rest = text.substr(scheme_prefix.size());
  if (MaybeError error = check_uri_delimiters(rest)) return std::move(*error);

  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (MaybeError error = check_trust_domain(authority)) return std::move(*error);
  if (MaybeError error = check_path(path)) return std::move(*error);
  return SpiffeId{std::string(authority), std::string(path)};
}

Result<SpiffeId> parse_presented_spiffe_id(std::string_view text) {
  Result<SpiffeId> id = parse_spiffe_id(text);
  if (const Error* error = std::get_if<Error>(&id)) {
    return Error{"invalid_spiffe_id", error->reason + ": " + error->detail};
  }
  return id;
}

// SPIFFE-ID §2.1: the authority is a non-empty host only; userinfo and
// port MUST be empty and their delimiters absent.
std::optional<Error> check_trust_domain(std::string_view name) {
  if (name.empty()) return refuse("missing_trust_domain", "the trust domain is empty");
  if (contains(name, '@')) return refuse("has_userinfo", "a SPIFFE ID has no userinfo");
  if (contains(name, ':')) return refuse("has_port", "a SPIFFE ID has no port");
  if (name.size() > max_trust_domain_bytes) {
    return refuse("trust_domain_too_long", "the trust domain is longer than 255 bytes");
  }
  for (const char c : name) {
    if (!is_trust_domain_char(c)) {
      return refuse("bad_trust_domain", "the trust domain allows only [a-z0-9._-]");
    }
  }
  return std::nullopt;
}

// SPIFFE-ID §2.2: no empty, `.` or `..` segments; [a-zA-Z0-9.-_] only.
std::optional<Error> check_path_segment(std::string_view segment) {
  if (segment.empty()) return refuse("empty_segment", "a path segment is empty");
  if (segment == "." || segment == "..") {
    return refuse("dot_segment", "a path segment is '.' or '..'");
  }
  for (const char c : segment) {
    if (!is_path_char(c)) {
      return refuse("bad_path_character", "path segments allow only [A-Za-z0-9._-]");
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/' before this segment
    const std::size_t end = path.find('/');
    segments.push_back(path.substr(0, end));
    path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
  }
  return segments;
}

}  // namespace firewarden::identity
