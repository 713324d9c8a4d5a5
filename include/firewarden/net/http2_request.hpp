#pragma once
// A REST request on an HTTP/2 stream, read whole into the same Request an
// HTTP/1.1 connection yields (the request reader's HTTP/2 counterpart,
// net/request_reader.hpp): pseudo-header fields become the method, target
// and Host, and what RFC 9113 forbids is refused before a byte is
// forwarded — connection-specific fields (§8.2.2), a Content-Length that the
// DATA received does not match (§8.1.1), a body over max_body_bytes.
#include <cstdint>
#include <string_view>
#include <variant>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/http2_stream.hpp"
#include "firewarden/net/server.hpp"

namespace firewarden::transport {

// Fields an HTTP/2 message must not carry (RFC 9113 §8.2.2): Connection,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, and TE with any
// value but "trailers". `name` in lowercase.
bool is_connection_specific(std::string_view name, std::string_view value);

// Why a stream's request was not read: the client reset the stream or the
// connection went (nothing to answer).
struct Http2StreamLost {
  boost::system::error_code error;
};

// The request as the HTTP/1.1 data path reads it (version 11), an
// UnreadableRequest to answer (400 malformed, 413 body too large), or
// Http2StreamLost.
using Http2RequestRead = std::variant<Request, UnreadableRequest, Http2StreamLost>;

// Reads the request's head from the stream's header fields and its body
// from DATA until END_STREAM, within `max_body_bytes`.
net::awaitable<Http2RequestRead> read_http2_request(Http2Stream& stream,
                                                    std::uint64_t max_body_bytes);

}  // namespace firewarden::transport
