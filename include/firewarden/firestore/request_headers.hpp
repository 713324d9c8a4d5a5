#pragma once
// The header rules of SPEC §5 and §6: a body is JSON or nothing, never
// content-encoded, no header may change the method Google executes, and
// Google's routing hints name the request's own database.
#include <string>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/http_request.hpp"
#include "firewarden/firestore/resource_name.hpp"

namespace firewarden::firestore {

// Refused: X-HTTP-Method-Override, X-HTTP-Method and X-Method-Override (any
// value: Google would execute that method instead of the one checked); any
// Content-Encoding (the proxy checks the bytes it sees, not a decoded form);
// a Content-Type that is not application/json (optionally ; charset=utf-8),
// more than one Content-Type, and a non-empty body without one.
Refusal check_request_headers(const HttpRequest& request);

// Google's routing hints as upstream receives them. Empty: not sent.
struct RoutingHeaders {
  std::string resource_prefix;  // google-cloud-resource-prefix
  std::string request_params;   // x-goog-request-params
};

// x-goog-request-params and google-cloud-resource-prefix tell Google's front
// end where to route a request; they must agree with the request's database
// (else 400) and are then rebuilt from it, so upstream never receives the
// client's bytes. Each may appear at most once, and is rebuilt only when the
// client sent it (firewarden adds no hint a client did not give):
// - google-cloud-resource-prefix must be exactly `projects/P/databases/D`,
//   and is sent as that.
// - x-goog-request-params is a form-encoded list whose keys must be known
//   and given once each: database (= the database name), name, parent,
//   document.name (the database name or a resource below it, without empty,
//   `.` or `..` segments), project_id (= P), database_id (= D),
//   collection_id (any well-encoded text). Keys and values are form-decoded
//   once ('+' is a space); a malformed escape, invalid UTF-8 or a control
//   character is refused. It is sent as
//   `database=projects%2FP%2Fdatabases%2FD`, the form the Google SDKs send
//   for database-wide methods (encodeURIComponent: `(default)` stays as it is).
//
// A header given twice is refused over REST (HTTP/1.1 would join the values
// into one list nobody defined). gRPC metadata is multi-valued, and the Go
// SDK sends x-goog-request-params twice on BatchGetDocuments: with
// `check_each`, every value must pass on its own.
enum class RepeatedRoutingHeaders { refuse, check_each };
Checked<RoutingHeaders> rebuild_routing_headers(
    const HttpRequest& request, const DatabaseRef& database,
    RepeatedRoutingHeaders repeated = RepeatedRoutingHeaders::refuse);

}  // namespace firewarden::firestore
