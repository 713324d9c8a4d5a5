#include "firewarden/identity/svid.hpp"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "parse_helpers.hpp"

namespace firewarden::identity {
namespace {

using detail::MaybeError;

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesFree>;

// X.509-SVID §4.1 and §5.2: a leaf sets cA to false; signing certificates
// "MUST NOT be used for authentication purposes" (§3.2).
MaybeError check_basic_constraints(std::uint32_t flags) {
  if ((flags & EXFLAG_CA) != 0) {
    return Error{"ca_certificate", "a CA certificate is not a workload identity"};
  }
  return std::nullopt;
}

// Beyond basicConstraints, OpenSSL accepts legacy issuer signals (a v1
// self-signed root, the Netscape SSL CA type). Anything OpenSSL would
// accept as an issuer is not a workload either.
MaybeError check_not_issuer(X509* leaf) {
  if (X509_check_ca(leaf) != 0) {
    return Error{"ca_certificate", "the certificate can act as a CA"};
  }
  return std::nullopt;
}

// X.509-SVID §4.3 and §5.2: the validator MUST ensure keyCertSign and
// cRLSign are not set. We do not demand digitalSignature or a critical
// keyUsage: §4.3 puts those on the issuer and §5.2 does not ask validators
// to check them; OpenSSL's default "ssl_client" purpose check in the
// handshake already refuses a leaf whose keyUsage allows neither
// digitalSignature nor keyAgreement. An absent extension means "no restriction"
// (RFC 5280 §4.2.1.3); X509_get_key_usage reports all bits set then, so the
// presence flag is checked first.
MaybeError check_key_usage(X509* leaf, std::uint32_t flags) {
  if ((flags & EXFLAG_KUSAGE) == 0) return std::nullopt;
  const std::uint32_t usage = X509_get_key_usage(leaf);
  if ((usage & KU_KEY_CERT_SIGN) != 0) {
    return Error{"key_cert_sign", "a leaf SVID must not have keyUsage keyCertSign"};
  }
  if ((usage & KU_CRL_SIGN) != 0) {
    return Error{"crl_sign", "a leaf SVID must not have keyUsage cRLSign"};
  }
  return std::nullopt;
}

std::string_view uri_text(const GENERAL_NAME* name) {
  const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
  const unsigned char* data = ASN1_STRING_get0_data(uri);
  const int length = ASN1_STRING_length(uri);
  if (data == nullptr || length <= 0) return {};
  // Bytes, not a C string: an embedded NUL stays in and is refused by the
  // SPIFFE ID parser instead of silently truncating the ID.
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(length)};
}

// X.509-SVID §2: exactly one URI SAN; other SAN types (DNS, IP, …) are
// allowed. Returns the URI's bytes (viewing into `names`).
Result<std::string_view> the_one_uri(const GENERAL_NAMES* names) {
  std::optional<std::string_view> found;
  const int count = sk_GENERAL_NAME_num(names);
  for (int i = 0; i < count; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name == nullptr || name->type != GEN_URI) continue;
    if (found) return Error{"multiple_uri_sans", "an X.509-SVID has exactly one URI SAN"};
    found = uri_text(name);
  }
  if (!found) return Error{"no_uri_san", "an X.509-SVID has exactly one URI SAN"};
  return *found;
}

Result<SpiffeId> spiffe_id_from_san(X509* leaf) {
  int critical = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, &critical, nullptr)));
  if (!names) {
    // -1: no subjectAltName at all; -2: given more than once; otherwise the
    // extension is present but does not decode.
    if (critical == -1) return Error{"no_uri_san", "the certificate has no subjectAltName"};
    return Error{"invalid_san", "the subjectAltName extension is duplicated or malformed"};
  }
  Result<std::string_view> uri = the_one_uri(names.get());
  if (Error* error = std::get_if<Error>(&uri)) return std::move(*error);
  return parse_presented_spiffe_id(std::get<std::string_view>(uri));
}

}  // namespace

Result<SpiffeId> spiffe_id_from_svid(X509* leaf) {
  if (leaf == nullptr) return Error{"no_certificate", "no client certificate"};
  const std::uint32_t flags = X509_get_extension_flags(leaf);
  // OpenSSL marks a certificate whose extensions fail to decode or repeat;
  // nothing read from such a certificate can be trusted.
  if ((flags & EXFLAG_INVALID) != 0) {
    return Error{"invalid_extensions", "the certificate's extensions are malformed"};
  }
  if (MaybeError error = check_basic_constraints(flags)) return std::move(*error);
  if (MaybeError error = check_key_usage(leaf, flags)) return std::move(*error);
  if (MaybeError error = check_not_issuer(leaf)) return std::move(*error);
  return spiffe_id_from_san(leaf);
}

Result<Identity> identity_from_svid(X509* leaf, const IdentityRules& rules) {
  return identity_from_spiffe_id(spiffe_id_from_svid(leaf), rules);
}

}  // namespace firewarden::identity
