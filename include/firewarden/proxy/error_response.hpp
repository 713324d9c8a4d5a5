#pragma once
// An ApiError as the HTTP/1.1 response a client receives: Google's JSON
// error shape (AIP-193), so SDKs surface it as an ordinary Firestore error.
#include "firewarden/errors/api_error.hpp"
#include "firewarden/net/asio.hpp"

namespace firewarden::proxy {

http::response<http::string_body> error_response(const errors::ApiError& error, unsigned version,
                                                 bool keep_alive);

}  // namespace firewarden::proxy
