#include "firewarden/proxy/error_response.hpp"

namespace firewarden::proxy {

http::response<http::string_body> error_response(const errors::ApiError& error, unsigned version,
                                                 bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(error.http_status), version};
  response.set(http::field::content_type, "application/json; charset=UTF-8");
  response.body() = error.to_json();
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace firewarden::proxy
