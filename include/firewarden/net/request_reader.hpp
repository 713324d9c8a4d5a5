#pragma once
// Reads one HTTP/1.1 request from a client connection, in two steps: its
// head (within max_header_bytes), then everything a proxy in front of other
// HTTP parsers must check before trusting the message (request smuggling:
// RFC 9112 §3.2, §6.1, §6.3), Expect: 100-continue, the body (within
// max_body_bytes) and the absence of trailer fields. Every read runs under
// header_timeout. The server's session calls both; the fuzz target
// (tests/fuzz/fuzz_http_request.cpp) calls the same functions.
#include <chrono>
#include <cstdint>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_stream.hpp"

namespace firewarden::transport {

using RequestParser = http::request_parser<http::string_body>;

struct RequestLimits {
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
};

// A fresh parser for one message, its limits set where it is made (STYLE.md 3).
void limit_parser(RequestParser& parser, const RequestLimits& limits);

// Reads a request head into `parser`. Errors are values: Beast's
// (header_limit for a head over max_header_bytes, end_of_stream when the
// client closed between requests) or the socket's.
net::awaitable<boost::system::error_code> read_request_head(ClientStream& client,
                                                            beast::flat_buffer& buffer,
                                                            RequestParser& parser,
                                                            const RequestLimits& limits);

// After a head was read: refuses framing other parsers could read
// differently, answers Expect: 100-continue, reads the body and refuses
// trailer fields. A refusal is one of Beast's error codes
// (bad_transfer_encoding, bad_content_length, bad_field, body_limit).
net::awaitable<boost::system::error_code> read_request_body(ClientStream& client,
                                                            beast::flat_buffer& buffer,
                                                            RequestParser& parser,
                                                            const RequestLimits& limits);

}  // namespace firewarden::transport
