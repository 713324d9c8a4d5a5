#pragma once
// Request correlation: W3C trace context (`traceparent`) and `x-request-id`.
#include <optional>
#include <string>
#include <string_view>

namespace firewarden::telemetry {

// traceparent version 00: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>",
// lowercase hex, ids not all zero (W3C Trace Context §3.2). Anything else is
// treated as absent (and a new one is created), never forwarded as is.
bool is_valid_traceparent(std::string_view value);
std::string new_traceparent();                          // random ids, flags 00
std::string trace_id_of(std::string_view traceparent);  // the 32-hex trace id

// x-request-id from a client is passed on when it is 1..128 characters of
// [A-Za-z0-9._-] (safe in logs and headers); otherwise a new one is made.
bool is_acceptable_request_id(std::string_view value);
std::string new_request_id();  // 32 random hex digits

}  // namespace firewarden::telemetry
