#pragma once
// The data-plane TLS context for mtls mode: serving certificate and key,
// client certificates required and verified against the trust bundle of
// their own trust domain (client_trust.hpp).
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_trust.hpp"

namespace firewarden::transport {

struct ServerTlsFiles {
  std::string cert_file;
  std::string key_file;
  // One bundle per accepted trust domain (listener.tls.client_ca_file or
  // identity.trust_bundles).
  std::vector<ClientTrustBundle> client_trust_bundles;
  // What trust domain a client certificate claims (the identity module's
  // SVID rules, given by the caller).
  TrustDomainReader trust_domain_of;
  bool tls13_only = false;  // listener.tls.min_version "1.3"
};

// Longest client chain accepted (leaf + intermediates): SPIRE and Istio issue
// leaf + at most a couple of intermediates; anything longer is refused.
inline constexpr int kMaxClientChainDepth = 4;

struct ServerTlsContext {
  std::shared_ptr<ssl::context> context;
  // notAfter of the serving certificate, seconds since the epoch (for
  // /status and firewarden_certificate_expiry_timestamp_seconds).
  long long certificate_not_after = 0;
};

struct ServerTlsError {
  std::string key;     // the config key of the file at fault ("listener.tls.key_file")
  std::string detail;  // the file and what is wrong with it (never key bytes)
  std::string message() const { return key + " " + detail; }
};

// The context offers ALPN "h2" only on connections marked with
// offer_http2() (the data-plane listener when HTTP/2 is on), "http/1.1"
// always; a client that offers neither gets no ALPN answer (HTTP/1.1).
std::variant<ServerTlsContext, ServerTlsError> make_server_tls_context(const ServerTlsFiles& files);

// Marks a new connection's session (before its handshake) as one that may
// select "h2".
void offer_http2(SSL* ssl);
// Whether the handshake selected "h2".
bool negotiated_http2(SSL* ssl);

// Why a handshake failed, as a short stable label for the
// firewarden_tls_handshake_failures_total{reason} metric and the log.
std::string handshake_failure_reason(const boost::system::error_code& error, SSL* ssl);

}  // namespace firewarden::transport
