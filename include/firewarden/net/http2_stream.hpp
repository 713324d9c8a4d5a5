#pragma once
// One HTTP/2 stream as the code above the transport sees it: the request a
// client opened on our listener (server side), or one we opened to the
// upstream (client side, net/http2_client.hpp). The codec (nghttp2, driven
// by our Asio/OpenSSL connection code) knows no routes and no Firestore
// (STYLE.md 11): it turns frames into these calls and back.
//
// Flow control is coupled end to end: bytes the peer sent are given back to
// its window only when read() hands them out, so a stream nobody reads
// stalls its peer instead of growing a buffer; write_data() waits while the
// peer's window is closed.
//
// Every operation may be awaited from any executor (a downstream stream's
// handler relays to an upstream stream whose connection runs on another
// strand); it runs on the connection's strand and resumes the caller on the
// caller's executor. At most one read and one write may be outstanding per
// stream.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firewarden/net/asio.hpp"

namespace firewarden::transport {

// Header fields in the order received or to be sent; names in lowercase
// (RFC 9113 §8.2.1), pseudo-header fields (":method", ":path", ":status" …)
// first.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// RFC 9113 §7 error codes used by the code above the transport.
enum class Http2Error : std::uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  refused_stream = 0x7,
  cancel = 0x8,
  enhance_your_calm = 0xb,
};

struct Http2Read {
  boost::system::error_code error;  // the stream was reset, or its connection lost
  std::string data;                 // up to the asked size; may be empty with end
  bool end = false;                 // the peer ended the stream (END_STREAM)
};

class Http2Stream {
 public:
  virtual ~Http2Stream() = default;

  // Server side: the request's header fields. Client side: the response's,
  // once Http2ClientStream::read_response_headers() returned.
  virtual const HeaderList& headers() const = 0;
  // The trailer fields the peer sent, once read() returned end (empty if none).
  virtual const HeaderList& trailers() const = 0;

  // Waits for DATA; returns up to `max` bytes (at least one unless `end` or
  // `error`). What it returns is credited back to the peer's window.
  virtual net::awaitable<Http2Read> read(std::size_t max) = 0;

  // Sends the response (server) or request (client) header fields.
  virtual net::awaitable<boost::system::error_code> write_headers(HeaderList headers,
                                                                  bool end_stream) = 0;
  // Sends `data`, waiting while the peer's window is closed; returns once
  // all of it was handed to the connection.
  virtual net::awaitable<boost::system::error_code> write_data(std::string_view data,
                                                               bool end_stream) = 0;
  // Ends the stream with trailer fields (gRPC status), after `last_data`
  // (may be empty): the two are handed over together, so a short response's
  // last bytes and its status leave in one write.
  virtual net::awaitable<boost::system::error_code> write_trailers(HeaderList trailers,
                                                                   std::string_view last_data) = 0;

  // RST_STREAM: abandons the stream at once; pending reads and writes end
  // with an error.
  virtual void reset(Http2Error error) = 0;

  // A stable number for logs ("[c42 s5]"): the HTTP/2 stream id.
  virtual std::int32_t id() const = 0;
};

}  // namespace firewarden::transport
