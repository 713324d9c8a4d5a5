#pragma once
// One client connection kept open across several HTTP/1.1 requests (plain or
// TLS with a client certificate), for tests about what happens to existing
// connections: certificate rotation, graceful drain, idle close. Every wait
// is bounded.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http_client.hpp"

namespace firewarden::testing {

class PersistentConnection {
 public:
  // Connects to 127.0.0.1:port (and handshakes with `tls`); see connected().
  explicit PersistentConnection(unsigned short port,
                                const std::optional<TlsClientFiles>& tls = std::nullopt,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~PersistentConnection();
  PersistentConnection(const PersistentConnection&) = delete;
  PersistentConnection& operator=(const PersistentConnection&) = delete;

  bool connected() const;
  const std::string& error() const;  // why not connected, or the last failure

  // Writes a keep-alive request and reads its response on this connection.
  HttpResponse request(const HttpRequestSpec& spec,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The two halves, for a request left in flight while something else happens.
  bool send(const HttpRequestSpec& spec);
  HttpResponse receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // True once the server has closed the connection (end of stream or reset)
  // within `timeout`; false if it is still open (nothing arrived).
  bool closed_by_peer(std::chrono::milliseconds timeout);

  // The server certificate this connection's handshake saw (TLS only):
  // sha256 of its DER and its serial, both hex as `openssl x509` prints them
  // (fingerprint lowercase without colons, serial uppercase).
  std::string server_certificate_sha256() const;
  std::string server_certificate_serial() const;
  // Whether the server gave this TLS connection a session it could resume
  // (a TLS 1.3 NewSessionTicket arrives after the handshake: ask after a
  // request).
  bool session_resumable() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firewarden::testing
