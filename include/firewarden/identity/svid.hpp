#pragma once
// X.509-SVID leaf validation (SPIFFE X.509-SVID spec §2, §4, §5.2; SPEC §3
// mode mtls). The TLS stack has already verified the chain against the
// trust bundle (X.509-SVID §5.1); this adds the SPIFFE-specific leaf rules.
// Pure: reads the certificate, no I/O, no clock (validity dates are the
// TLS stack's job).
#include <openssl/types.h>

#include "firewarden/identity/error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/identity/spiffe_id.hpp"

namespace firewarden::identity {

// The SPIFFE ID of a client leaf certificate. Error reasons, in check order:
//   no_certificate          leaf is null
//   invalid_extensions      OpenSSL could not decode the extensions
//                           (malformed or duplicated)
//   ca_certificate          basicConstraints CA:TRUE (X.509-SVID §4.1, §5.2)
//   key_cert_sign           keyUsage has keyCertSign (§4.3, §5.2)
//   crl_sign                keyUsage has cRLSign (§4.3, §5.2)
//   ca_certificate          anything else OpenSSL accepts as a CA (a v1
//                           self-signed root, the Netscape SSL CA type)
//   invalid_san             subjectAltName undecodable or given twice
//                           (defence in depth: OpenSSL 3 already reports
//                           these as invalid_extensions)
//   no_uri_san              no URI SAN (§2)
//   multiple_uri_sans       more than one URI SAN (§2, §5.2)
//   invalid_spiffe_id       the URI is not a valid SPIFFE ID (detail: why)
// `leaf` is not modified; it is non-const only because OpenSSL caches
// decoded extensions inside it.
Result<SpiffeId> spiffe_id_from_svid(X509* leaf);

// spiffe_id_from_svid, then identity_from_spiffe_id: additionally
// missing_path (§3.1, §5.2: a leaf ID has a non-root path) and
// untrusted_trust_domain.
Result<Identity> identity_from_svid(X509* leaf, const IdentityRules& rules);

}  // namespace firewarden::identity
