#pragma once
// Where a REST response goes: the client's HTTP/1.1 connection or its
// HTTP/2 stream (DESIGN.md, "Two protocols, one path"). The proxy's relay
// writes a head, then body bytes, then the end, and never learns which
// protocol carries them: each sink applies its own framing (HTTP/1.1:
// Content-Length, chunked or close; HTTP/2: DATA frames and END_STREAM) and
// drops the fields its protocol forbids.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_stream.hpp"
#include "firewarden/net/deadline.hpp"
#include "firewarden/net/http2_stream.hpp"

namespace firewarden::transport {

// Appends a response head as Beast's serializer writes it: the status line
// (HTTP/major.minor, the code, the reason phrase given or else the standard
// one), every field in order as `name: value`, and the empty line. For the
// common sized response, written with its first body bytes as one buffer
// (no serializer: ~20% of a proxied GET's instructions, bench/RESULTS.md).
void append_response_head(std::string& out, const http::response_header<>& head);

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;

  // The response head: status and end-to-end fields (the caller removed
  // upstream's hop-by-hop ones). `length`: the body's size when known.
  // `keep_open`: whether the caller wants the connection kept for another
  // request (false while draining). A sink may hold the head back until the
  // first body bytes, to send both at once.
  virtual net::awaitable<boost::system::error_code> write_head(http::response_header<>& head,
                                                               std::optional<std::uint64_t> length,
                                                               bool keep_open) = 0;
  // Body bytes, in order; `last` ends the response (data may then be empty).
  virtual net::awaitable<boost::system::error_code> write_body(net::const_buffer data,
                                                               bool last) = 0;
  // After the response: whether the connection may carry another request.
  virtual bool keep_alive() const = 0;

  // A response held whole (an error, a cut write response): head and body.
  net::awaitable<boost::system::error_code> write_response(
      http::response<http::string_body>& response, bool keep_open);
};

// HTTP/1.1 (and HTTP/1.0) on the client's connection: our own framing
// towards the client, every write within `write_timeout`.
class Http1ResponseSink final : public ResponseSink {
 public:
  // `version` and `request_keep_alive`: the request's (11 for HTTP/1.1).
  Http1ResponseSink(ClientStream& client, unsigned version, bool request_keep_alive,
                    std::chrono::milliseconds write_timeout)
      : client_(client),
        version_(version),
        keep_alive_(request_keep_alive),
        write_timeout_(write_timeout) {}

  net::awaitable<boost::system::error_code> write_head(http::response_header<>& head,
                                                       std::optional<std::uint64_t> length,
                                                       bool keep_open) override;
  net::awaitable<boost::system::error_code> write_body(net::const_buffer data, bool last) override;
  bool keep_alive() const override { return keep_alive_; }

 private:
  net::awaitable<boost::system::error_code> write(net::const_buffer data);

  ClientStream& client_;
  unsigned version_;
  bool keep_alive_;
  std::chrono::milliseconds write_timeout_;
  bool chunked_ = false;
  std::string pending_;  // the head, sent with the first body bytes
};

// One HTTP/2 stream: the head as HEADERS (lowercase names, no
// connection-specific fields, RFC 9113 §8.2.2), the body as DATA. A write
// still waiting for the client's window after `write_timeout` resets the
// stream.
class Http2ResponseSink final : public ResponseSink {
 public:
  Http2ResponseSink(Http2Stream& stream, const net::any_io_executor& executor,
                    std::chrono::milliseconds write_timeout);

  net::awaitable<boost::system::error_code> write_head(http::response_header<>& head,
                                                       std::optional<std::uint64_t> length,
                                                       bool keep_open) override;
  net::awaitable<boost::system::error_code> write_body(net::const_buffer data, bool last) override;
  // The connection is HTTP/2's business (GOAWAY when draining), not the
  // response's.
  bool keep_alive() const override { return true; }

 private:
  Http2Stream& stream_;
  Deadline deadline_;
  std::chrono::milliseconds write_timeout_;
  std::optional<HeaderList> pending_;  // the head, sent with the first body bytes
};

}  // namespace firewarden::transport
