#pragma once
// Request correlation: W3C Trace Context (`traceparent`), Google's
// `X-Cloud-Trace-Context`, and `x-request-id`.
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

// firewarden as one hop of a trace: the caller's trace and span (if it sent
// one), and the span firewarden opens for its own part, which is the parent
// upstream sees.
struct TraceContext {
  std::string trace_id;                       // 32 lowercase hex digits
  std::optional<std::string> caller_span_id;  // 16 lowercase hex; none for a new trace
  std::string span_id;                        // ours: 16 lowercase hex, new per request
  std::string flags = "00";                   // trace-flags, passed on as received
  // Continued from a valid traceparent: the caller's tracestate belongs to
  // this trace and is passed on; otherwise it is not (W3C Trace Context §3.3).
  bool from_traceparent = false;

  bool sampled() const;                     // trace-flags bit 0
  std::string traceparent() const;          // "00-TRACE-SPAN-FLAGS" with our span
  std::string cloud_trace_context() const;  // "TRACE/SPAN;o=1" (decimal span id)
};

// The request's trace context from its `traceparent` and
// `X-Cloud-Trace-Context` values (nullopt: header absent; a repeated header
// is passed as an empty value, which no format accepts):
//  - a valid traceparent continues its trace (W3C Trace Context §4.3);
//  - a traceparent that is present but malformed starts a new trace, and the
//    X-Cloud-Trace-Context beside it is ignored too (§4.3: an invalid
//    traceparent means a new trace);
//  - without traceparent, a valid X-Cloud-Trace-Context continues its trace;
//  - otherwise a new trace starts (unsampled, flags 00).
// Our span id is new in every case.
TraceContext continue_trace(std::optional<std::string_view> traceparent,
                            std::optional<std::string_view> cloud_trace_context);

// X-Cloud-Trace-Context: "TRACE_ID/SPAN_ID;o=OPTIONS" (Cloud Trace), TRACE_ID
// 32 hex digits, SPAN_ID an unsigned 64-bit decimal, ";o=" 0 or 1 and
// optional. Read into trace id, span id (as 16 hex) and sampled.
struct CloudTraceContext {
  std::string trace_id;
  std::string span_id;
  bool sampled = false;
};
std::optional<CloudTraceContext> parse_cloud_trace_context(std::string_view value);

// x-request-id from a client is passed on when it is 1..128 characters of
// [A-Za-z0-9._-] (safe in logs and headers); otherwise a new one is made.
bool is_acceptable_request_id(std::string_view value);
std::string new_request_id();  // 32 random hex digits

}  // namespace firewarden::telemetry
