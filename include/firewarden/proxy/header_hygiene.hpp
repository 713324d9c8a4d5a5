#pragma once
// What crosses the proxy besides the authorized path and body (SPEC §6).
//
// Request headers are forwarded by allowlist, not blocklist: upstream must
// receive exactly what was authorized, and a header Google honours that we
// did not think of (a user project, an API key, a method override, a field
// mask…) must not slip through. Everything not listed is dropped.
#include <string>
#include <string_view>

#include "firewarden/net/asio.hpp"

namespace firewarden::proxy {

// Client request headers copied upstream unchanged (names in any case).
bool is_forwarded_request_header(std::string_view name);

struct UpstreamHeaders {
  std::string_view authority;            // Host header for the upstream
  std::string_view bearer_token;         // empty: no Authorization header
  std::string_view traceparent;          // always set: the trace, with our span as parent
  std::string_view cloud_trace_context;  // X-Cloud-Trace-Context, the same trace and span
  std::string_view request_id;           // x-request-id
  // Routing hints rebuilt by the classifier (RequestModel); empty: not sent.
  std::string_view resource_prefix;  // google-cloud-resource-prefix
  std::string_view request_params;   // x-goog-request-params
  // The client's tracestate is passed on only when its traceparent was
  // continued: with a new trace it describes a trace upstream never sees.
  bool forward_tracestate = false;
};

// The request sent upstream, as the bytes to write (HTTP/1.1): the
// authorized method, target and body, the allowlisted client headers, and
// our own Host, Authorization, routing hints, traceparent, x-request-id and
// Content-Length.
std::string upstream_request_bytes(const http::request<http::string_body>& client,
                                   std::string_view target, std::string_view body,
                                   const UpstreamHeaders& headers);

// Removes hop-by-hop headers (RFC 9110 §7.6.1: Connection and every header
// it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade) and Proxy-Authenticate from an upstream response before it is
// relayed. The relay sets its own framing.
void strip_hop_by_hop(http::fields& fields);

}  // namespace firewarden::proxy
