#pragma once
// Envoy's x-forwarded-client-cert header (SPEC §3 mode xfcc), as Envoy
// documents it (configuration/http/http_conn_man/headers, XFCC):
//
//   header  = element *( "," element )     one element per proxy hop
//   element = pair *( ";" pair )
//   pair    = key "=" value                keys case-insensitive
//   value   = quoted / unquoted            quoted when it holds , ; or =
//   quoted  = DQUOTE *( char / "\" char ) DQUOTE
//
// Each proxy appends its element at the end, so the LAST element is the one
// written by the closest hop: the trusted sidecar in front of us. Identity
// is that element's URI (the client certificate's URI SAN). This is only
// sound when that hop appends or replaces the header (Envoy
// forward_client_cert_details APPEND_FORWARD or SANITIZE_SET); with
// FORWARD_ONLY the client writes the whole header itself.
//
// The parser is strict, because an ambiguity here is an identity spoofing
// bug: a client can put arbitrary text in front of the trusted element
// (APPEND_FORWARD keeps it), and any leniency in quoting could let that
// text change where the trusted element seems to begin.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/identity/error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/identity/spiffe_id.hpp"

namespace firewarden::identity {

// Far above anything real (a leaf plus chain, URL-encoded, over a few hops)
// and still a bound on work per request.
inline constexpr std::size_t max_xfcc_bytes = std::size_t{64} * 1024;

// One hop's element, values unquoted and unescaped.
struct XfccElement {
  std::vector<std::string> by;  // the hop's own URI SANs (may repeat)
  std::optional<std::string> hash;
  std::optional<std::string> cert;
  std::optional<std::string> chain;
  std::optional<std::string> subject;
  std::optional<std::string> uri;  // the client's URI SAN; repeating it is refused
  std::vector<std::string> dns;    // the client's DNS SANs (may repeat)

  friend bool operator==(const XfccElement&, const XfccElement&) = default;
};

// Every element of `header`, in order. Error reasons:
//   empty_header, header_too_large,
//   bad_character       a control character, DEL or non-ASCII byte
//   empty_element       leading, trailing or doubled ','
//   empty_pair          leading, trailing or doubled ';'
//   missing_equals      a pair without '='
//   unknown_key         a key other than By Hash Cert Chain Subject URI DNS
//   duplicate_key       Hash, Cert, Chain or Subject twice in one element
//   multiple_uris       URI twice in one element
//   unterminated_quote  a quoted value without its closing '"'
//   bad_escape          a backslash outside quotes, or at the very end
//   bad_quote           '"' inside an unquoted value, or text right after
//                       a closing '"'
Result<std::vector<XfccElement>> parse_xfcc(std::string_view header);

// The SPIFFE ID in the last element's URI. Besides parse_xfcc's reasons:
//   missing_uri         the last element has no URI, or an empty one
//                       (Envoy writes "URI=" for a certificate without one)
//   invalid_spiffe_id   the URI is not a valid SPIFFE ID (detail: why)
Result<SpiffeId> spiffe_id_from_xfcc(std::string_view header);

// spiffe_id_from_xfcc, then identity_from_spiffe_id (missing_path,
// untrusted_trust_domain).
Result<Identity> identity_from_xfcc(std::string_view header, const IdentityRules& rules);

}  // namespace firewarden::identity
