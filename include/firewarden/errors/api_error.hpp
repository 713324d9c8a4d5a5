#pragma once
// Errors in Google's JSON error shape (AIP-193), so SDKs surface them as
// ordinary Firestore errors: {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}.
// A leaf of its own: the classifier (firestore/) refuses with it and the
// proxy answers with it, and neither the transport (net/) nor identity/
// needs to know it.
#include <string>
#include <string_view>

namespace firewarden::errors {

struct ApiError {
  int http_status = 400;
  std::string status;  // canonical code name: INVALID_ARGUMENT, PERMISSION_DENIED, …
  std::string message;

  static ApiError invalid_argument(std::string message);   // 400
  static ApiError unauthenticated(std::string message);    // 401
  static ApiError permission_denied(std::string message);  // 403
  static ApiError payload_too_large(std::string message);  // 413 INVALID_ARGUMENT
  static ApiError unimplemented(std::string message);      // 501
  static ApiError bad_gateway(std::string message);        // 502 UNAVAILABLE
  static ApiError unavailable(std::string message);        // 503
  static ApiError deadline_exceeded(std::string message);  // 504

  std::string to_json() const;
  friend bool operator==(const ApiError&, const ApiError&) = default;
};

}  // namespace firewarden::errors
