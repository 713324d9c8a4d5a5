#pragma once
// The header rules of SPEC §5: a body is JSON or nothing, never
// content-encoded, and no header may change the method Google executes.
#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/http_request.hpp"

namespace firewarden::firestore {

// Refused: X-HTTP-Method-Override, X-HTTP-Method and X-Method-Override (any
// value: Google would execute that method instead of the one checked); any
// Content-Encoding (the proxy checks the bytes it sees, not a decoded form);
// a Content-Type that is not application/json (optionally ; charset=utf-8),
// more than one Content-Type, and a non-empty body without one.
Refusal check_request_headers(const HttpRequest& request);

}  // namespace firewarden::firestore
