#pragma once
// A blocking HTTP/1.1 client for tests (plain or TLS with a client
// certificate), and the raw-bytes variant for malformed input.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace firewarden::testing {

struct TlsClientFiles {
  std::string ca_file;    // trust anchor for the server certificate
  std::string cert_file;  // client certificate; empty: none
  std::string key_file;
};

struct HttpResponse {
  int status = 0;  // 0: no response (connection or handshake failed)
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string error;                           // why there is no response
};

struct HttpRequestSpec {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

HttpResponse http_request(const std::string& host, unsigned short port, const HttpRequestSpec& spec,
                          const std::optional<TlsClientFiles>& tls = std::nullopt,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Convenience for JSON POSTs.
HttpRequestSpec json_post(std::string target, std::string body);

// Sends `bytes` as they are over plain TCP and returns everything read until
// the peer closes or `timeout` passes.
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace firewarden::testing
