#pragma once
// A stand-in upstream that records every request it receives and answers
// with a fixed response. Only for assertions on what crosses the proxy
// (header hygiene, the injected access token); data-path behaviour is tested
// against the emulator.
//
// Plain HTTP by default. With server TLS files it speaks HTTPS instead, as
// firewarden requires for every credential type that sends real Google
// tokens (config: a plain http endpoint is allowed with static or none only).
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace firewarden::testing {

// (Not "RecordedRequest": that name is fake_google's, and a test may use both.)
struct UpstreamRequest {
  std::string method;
  std::string target;
  std::multimap<std::string, std::string> headers;  // lowercase names
  std::string body;

  // The first value of header `name` (lowercase), or "" when absent.
  std::string header(const std::string& name) const;
};

struct UpstreamTlsFiles {
  std::string cert_file;  // serving certificate (chain), PEM
  std::string key_file;   // its private key, PEM
};

class RecordingUpstream {
 public:
  explicit RecordingUpstream(int status = 200, std::string body = "{}");
  // HTTPS on 127.0.0.1: the certificate must name IP 127.0.0.1 (the dev
  // certificates' server.pem does).
  explicit RecordingUpstream(const UpstreamTlsFiles& tls, int status = 200,
                             std::string body = "{}");
  ~RecordingUpstream();
  RecordingUpstream(const RecordingUpstream&) = delete;
  RecordingUpstream& operator=(const RecordingUpstream&) = delete;

  unsigned short port() const { return port_; }
  // http://127.0.0.1:PORT, or https://… in TLS mode.
  std::string url() const;
  std::vector<UpstreamRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
  bool tls_ = false;
};

}  // namespace firewarden::testing
