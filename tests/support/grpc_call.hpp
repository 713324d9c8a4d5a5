#pragma once
// One gRPC call to a local server, as a test client: HTTP/2 prior
// knowledge (or TLS with ALPN h2 and a client certificate), one request
// message (or raw bytes, for framing attacks), everything the server sent
// back. Bounded: a call that does not end within `timeout` is reported as
// such, never waited on without end.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"

namespace firewarden::testing {

struct GrpcCallSpec {
  std::string rpc;      // "GetDocument": the path is /google.firestore.v1.Firestore/<rpc>
  std::string message;  // one request message, framed by grpc_call
  // Extra request metadata (lowercase names), e.g. x-forwarded-client-cert.
  std::vector<std::pair<std::string, std::string>> metadata{};
  // The request body as sent, instead of `message` framed (framing tests).
  std::optional<std::string> raw_body{};
  std::string path{};                             // overrides the path made from `rpc`
  std::string content_type = "application/grpc";  // empty: no content-type field
  std::string method = "POST";                    // other methods: REST requests over HTTP/2
  std::chrono::milliseconds timeout{10000};
};

struct GrpcResult {
  std::string transport_error;  // non-empty: no complete response
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::vector<std::string> messages;  // the response messages, unframed
  std::string body;                   // the response DATA as received
  bool trailers_only = false;         // the status came in the only HEADERS
  std::optional<int> status;          // grpc-status
  std::string message;                // grpc-message, percent-decoded

  std::string header(const std::string& name) const;
};

GrpcResult grpc_call(unsigned short port, const GrpcCallSpec& spec,
                     const std::optional<TlsClientFiles>& tls = std::nullopt);

}  // namespace firewarden::testing
