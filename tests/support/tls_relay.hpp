#pragma once
// TLS in front of a plain TCP server on 127.0.0.1: an HTTPS endpoint whose
// answers come from the Firestore emulator (plain http). firewarden sends
// real Google access tokens (credentials other than static or none) only
// over https, so a test of token refresh against the emulator talks to it
// through this relay. Each accepted connection is handshaked with the given
// server certificate, ALPN h2 when the client offers it (else none:
// HTTP/1.1), and its bytes are copied both ways to the target port.
#include <memory>
#include <string>

namespace firewarden::testing {

class TlsRelay {
 public:
  TlsRelay(unsigned short target_port, const std::string& cert_file, const std::string& key_file);
  ~TlsRelay();
  TlsRelay(const TlsRelay&) = delete;
  TlsRelay& operator=(const TlsRelay&) = delete;

  std::string url() const;  // https://127.0.0.1:PORT
  int connections() const;  // TLS handshakes completed so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firewarden::testing
