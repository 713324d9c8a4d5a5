#pragma once
// SPIFFE ID parsing and validation (SPIFFE-ID spec §2, SPEC §3).
//
// Only the one canonical spelling is accepted: lowercase `spiffe://`, a
// lowercase trust domain, no escapes. A valid ID therefore round-trips
// byte for byte (to_string() == input), so policy rules and logs never see
// two spellings of one workload.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/identity/error.hpp"

namespace firewarden::identity {

// SPIFFE-ID §2.3: implementations MUST support IDs up to 2048 bytes; we
// refuse anything longer (SPEC §3) so every ID we accept is interoperable.
inline constexpr std::size_t max_spiffe_id_bytes = 2048;
// SPIFFE-ID §2.3: RFC 3986 caps a host at 255 characters, hence the trust
// domain name at 255 bytes.
inline constexpr std::size_t max_trust_domain_bytes = 255;

struct SpiffeId {
  std::string trust_domain;  // e.g. "cluster.local"
  std::string path;          // "" (trust domain ID) or "/seg/…/seg"

  // "spiffe://" + trust_domain + path: the input, byte for byte.
  std::string to_string() const;
  // The path's segments, without slashes; empty for a trust domain ID.
  // Views into `path`: valid while this SpiffeId lives and is unchanged.
  std::vector<std::string_view> segments() const;
  // A trust domain ID (no path) names the trust domain itself, never a
  // workload (X.509-SVID §3.1).
  bool is_trust_domain_id() const { return path.empty(); }

  friend bool operator==(const SpiffeId&, const SpiffeId&) = default;
};

// Parses `text` as a SPIFFE ID. Error reasons, checked in this order:
//   empty, too_long, bad_scheme, has_query, has_fragment, percent_encoded,
//   missing_trust_domain, has_userinfo, has_port, trust_domain_too_long,
//   bad_trust_domain, trailing_slash, empty_segment, dot_segment,
//   bad_path_character
Result<SpiffeId> parse_spiffe_id(std::string_view text);

// parse_spiffe_id for an ID a peer presented (certificate URI SAN, XFCC
// URI, fixed_id): any failure becomes reason invalid_spiffe_id, with the
// parser's reason and message in `detail` ("has_port: …"), so each entry
// point reports it the same way.
Result<SpiffeId> parse_presented_spiffe_id(std::string_view text);

// Why `name` is not a valid trust domain name (SPIFFE-ID §2.1: non-empty,
// at most 255 bytes of [a-z0-9._-]), or nullopt when it is. Reasons:
//   missing_trust_domain, has_userinfo, has_port, trust_domain_too_long,
//   bad_trust_domain
// For validating `identity.trust_domains` in config.
std::optional<Error> check_trust_domain(std::string_view name);

// Why `segment` is not a valid SPIFFE path segment (SPIFFE-ID §2.2:
// non-empty, [A-Za-z0-9._-], not "." or ".."), or nullopt when it is.
// Reasons: empty_segment, dot_segment, bad_path_character
std::optional<Error> check_path_segment(std::string_view segment);

// "/a/b" -> {"a", "b"}, "" -> {}, "/a//b/" -> {"a", "", "b", ""}. `path` is
// "" or starts with '/'. Splits only; validates nothing.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace firewarden::identity
