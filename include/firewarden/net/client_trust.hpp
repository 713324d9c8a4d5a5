#pragma once
// Client certificate verification per trust domain (mtls, SPIFFE
// federation). A client certificate is verified against the trust bundle of
// the trust domain named in its own URI SAN, never against the roots of
// another trust domain: a partner's CA can issue IDs of its own trust domain
// only (SPIFFE X.509-SVID §5.1, the bundle of the SVID's own trust domain;
// Envoy's SPIFFE certificate validator does the same). Installed on the TLS context,
// so every protocol served on the listener (HTTP/1.1, HTTP/2) gets it.
#include <openssl/ssl.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace firewarden::transport {

// The trust bundle (PEM roots) of one trust domain.
struct ClientTrustBundle {
  std::string trust_domain;  // "cluster.local"
  std::string key;           // the config key naming the file, for messages
  std::string path;
};

// The trust domain a client certificate claims, or why it claims none.
struct TrustDomainClaim {
  std::string trust_domain;  // "cluster.local"; empty when refused
  std::string refusal;       // a stable metric label, e.g. "no_uri_san"
};

// Reads the claim from a leaf certificate that is not verified yet (for
// SPIFFE: the X.509-SVID rules and its URI SAN). Given by the caller, so the
// transport applies no identity rules of its own.
using TrustDomainReader = std::function<TrustDomainClaim(X509* leaf)>;

struct ClientTrustError {
  std::string key;     // the config key of the bundle at fault
  std::string detail;  // the file and what is wrong with it
};

// Loads every bundle and makes `ctx` verify client certificates as above,
// choosing the bundle by what `read_trust_domain` says the leaf claims.
// `ctx`'s own verify store stays empty, so a handshake that somehow skipped
// this verification would trust nothing. All bundles' certificates also go
// into the chain store from which the serving certificate's chain is built.
std::optional<ClientTrustError> install_client_trust(SSL_CTX* ctx,
                                                     const std::vector<ClientTrustBundle>& bundles,
                                                     TrustDomainReader read_trust_domain);

// Why this verification refused the client certificate of `ssl`, as a
// stable metric label, when it refused for a reason of its own: the leaf is
// no acceptable X.509-SVID (the TrustDomainReader's refusal, e.g.
// "no_uri_san"), its trust domain has no bundle ("untrusted_trust_domain"),
// or its chain leads to a CA of another trust domain ("foreign_trust_domain_ca").
// Empty otherwise (then the X.509 verify result says why).
std::string client_trust_refusal(const SSL* ssl);

}  // namespace firewarden::transport
