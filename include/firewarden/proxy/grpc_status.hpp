#pragma once
// gRPC's side of the error mapping: the status a refusal is answered with
// (the same refusals and messages as REST, SPEC §7 in gRPC codes), the
// grpc-message encoding, and grpc-timeout, all as gRPC's PROTOCOL-HTTP2
// document defines them.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/errors/api_error.hpp"

namespace firewarden::proxy {

// google.rpc.Code values firewarden answers with.
enum class GrpcCode : int {
  ok = 0,
  cancelled = 1,
  invalid_argument = 3,
  deadline_exceeded = 4,
  permission_denied = 7,
  resource_exhausted = 8,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  unauthenticated = 16,
};

// The gRPC status of a refusal: its canonical code name, except that a
// request over the size limit (HTTP 413) is RESOURCE_EXHAUSTED, as gRPC
// servers answer an oversized message.
GrpcCode grpc_code(const errors::ApiError& error);

// grpc-message: the message percent-encoded as PROTOCOL-HTTP2 asks (every
// byte outside 0x20-0x7E, and '%', as %XX), so any text survives HPACK and
// the client decodes it back.
std::string grpc_message(std::string_view message);

// grpc-timeout ("TimeoutValue TimeoutUnit": 1-8 ASCII digits, then one of
// H M S m u n). nullopt for anything else: a malformed timeout is refused,
// not guessed at.
std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value);
// The shortest exact-enough encoding of `timeout` (rounded up to the unit
// that keeps it within 8 digits), at least 1n.
std::string format_grpc_timeout(std::chrono::nanoseconds timeout);

}  // namespace firewarden::proxy
