#pragma once
// One gRPC call to a local server, as a test client: HTTP/2 prior
// knowledge (or TLS with ALPN h2 and a client certificate), one request
// message (or raw bytes, for framing attacks), everything the server sent
// back. Bounded: a call that does not end within `timeout` is reported as
// such, never waited on without end.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

// A bidirectional call (Listen, Write) held open by a test: messages sent
// one at a time, responses taken as they arrive, then a half-close or a
// reset. Its own I/O thread; every wait is bounded. With `read` false the
// responses are never read (a client that stalls its stream's window).
// With `tls`, over TLS with ALPN h2 and that client certificate, as
// grpc_call.
class GrpcBidiCall {
 public:
  GrpcBidiCall(unsigned short port, const std::string& rpc,
               std::vector<std::pair<std::string, std::string>> metadata = {}, bool read = true,
               const std::optional<TlsClientFiles>& tls = std::nullopt);
  ~GrpcBidiCall();
  GrpcBidiCall(const GrpcBidiCall&) = delete;
  GrpcBidiCall& operator=(const GrpcBidiCall&) = delete;

  // Sends one message framed (or bytes as they are); false when the stream
  // would not take it within the wait.
  bool send(const std::string& message);
  bool send_raw(const std::string& bytes);
  bool half_close();
  void reset();

  // The next response message, unframed; nullopt if none came within
  // `timeout` or the call ended.
  std::optional<std::string> next_message(std::chrono::milliseconds timeout);
  // Waits for the call's end; its grpc-status (nullopt: no status within
  // `timeout`, or the stream was reset: see transport_error()).
  std::optional<int> wait_status(std::chrono::milliseconds timeout);
  std::string status_message() const;  // grpc-message, percent-decoded
  std::string transport_error() const;

  struct State;  // shared with the I/O thread (grpc_call.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace firewarden::testing
