#pragma once
// A client connection for hostile input: plain TCP or TLS (any protocol
// version, any client certificate), raw bytes out with pauses between
// segments, everything the server sends back in, and whether and when the
// server closed. Non-blocking sockets and poll(), so every wait is bounded.
#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "corpus_case.hpp"

namespace firewarden::corpus {

struct TlsOptions {
  std::string ca_file;
  std::string cert_file;  // empty: no client certificate
  std::string key_file;
  std::string version;  // "" or 1.0 | 1.1 | 1.2 | 1.3: exactly that version
};

struct Outcome {
  std::string handshake_error;  // non-empty: the TLS handshake failed
  std::string received;
  bool closed_by_peer = false;           // EOF, reset or TLS alert seen
  std::string read_error;                // how the connection ended, if not cleanly
  std::chrono::milliseconds elapsed{0};  // from connect to close (or to giving up)
  std::string renegotiation;             // "" (not asked), "completed" or why it failed
};

struct ParsedResponses {
  std::vector<int> statuses;
  std::string bodies;    // every response body, concatenated
  bool garbage = false;  // bytes that are no HTTP response
};

ParsedResponses parse_responses(const std::string& bytes, bool at_eof);

class RawConnection {
 public:
  RawConnection(unsigned short port, const std::optional<TlsOptions>& tls);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  const std::string& handshake_error() const { return handshake_error_; }
  SSL* ssl() const { return ssl_; }
  // Sends all bytes; false when the peer closed or failed.
  bool send(const std::string& bytes, std::chrono::steady_clock::time_point deadline);
  // Reads what is there (waiting until `deadline` for something);
  // returns false once the connection ended or the deadline passed.
  bool receive(std::string& into, std::chrono::steady_clock::time_point deadline);
  // Client-initiated renegotiation (TLS 1.2): "completed" or why it failed.
  std::string renegotiate(std::chrono::steady_clock::time_point deadline);
  bool closed() const { return closed_; }
  const std::string& error() const { return error_; }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
  std::string error_;
  std::string handshake_error_;
};

// Sends the segments and reads until the server closes, `expected`
// responses arrived (when the case does not ask about closing), or `wait`.
Outcome exchange(unsigned short port, const std::optional<TlsOptions>& tls,
                 const std::vector<Segment>& segments, const CorpusCase& c);

}  // namespace firewarden::corpus
