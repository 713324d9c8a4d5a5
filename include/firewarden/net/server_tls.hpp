#pragma once
// The data-plane TLS context for mtls mode: serving certificate and key,
// client certificates required and verified against the SVID trust bundle.
#include <memory>
#include <string>
#include <variant>

#include "firewarden/net/asio.hpp"

namespace firewarden::transport {

struct ServerTlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
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

// An error message names the file and what is wrong with it (never key bytes).
std::variant<ServerTlsContext, std::string> make_server_tls_context(const ServerTlsFiles& files);

// Why a handshake failed, as a short stable label for the
// firewarden_tls_handshake_failures_total{reason} metric and the log.
std::string handshake_failure_reason(const boost::system::error_code& error, SSL* ssl);

}  // namespace firewarden::transport
