#include "firewarden/errors/api_error.hpp"

#include <nlohmann/json.hpp>

namespace firewarden::errors {
namespace {

ApiError make(int http_status, const char* status, std::string message) {
  return ApiError{http_status, status, std::move(message)};
}

}  // namespace

// HTTP status <-> canonical code as in google.rpc.Code's documented mapping.
ApiError ApiError::invalid_argument(std::string m) {
  return make(400, "INVALID_ARGUMENT", std::move(m));
}
ApiError ApiError::unauthenticated(std::string m) {
  return make(401, "UNAUTHENTICATED", std::move(m));
}
ApiError ApiError::permission_denied(std::string m) {
  return make(403, "PERMISSION_DENIED", std::move(m));
}
// Google answers an oversized request with 413 and status INVALID_ARGUMENT (SPEC §7).
ApiError ApiError::payload_too_large(std::string m) {
  return make(413, "INVALID_ARGUMENT", std::move(m));
}
ApiError ApiError::unimplemented(std::string m) { return make(501, "UNIMPLEMENTED", std::move(m)); }
ApiError ApiError::bad_gateway(std::string m) { return make(502, "UNAVAILABLE", std::move(m)); }
ApiError ApiError::unavailable(std::string m) { return make(503, "UNAVAILABLE", std::move(m)); }
ApiError ApiError::deadline_exceeded(std::string m) {
  return make(504, "DEADLINE_EXCEEDED", std::move(m));
}

std::string ApiError::to_json() const {
  nlohmann::json body = {
      {"error", {{"code", http_status}, {"message", message}, {"status", status}}}};
  // Replace invalid UTF-8 rather than throw: messages may quote client input.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace firewarden::errors
