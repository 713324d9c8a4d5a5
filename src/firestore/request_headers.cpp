#include "firewarden/firestore/request_headers.hpp"

#include <array>

#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore {
namespace {

constexpr std::array<std::string_view, 3> kMethodOverrideHeaders = {
    "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 §8.3.1: media-type = type "/" subtype *( OWS ";" OWS parameter ).
// Accepted: application/json, with at most one parameter, charset=utf-8.
bool is_json_content_type(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  if (!equals_ignoring_ascii_case(trim(value.substr(0, semicolon)), "application/json")) {
    return false;
  }
  if (semicolon == std::string_view::npos) return true;
  const std::string_view parameter = trim(value.substr(semicolon + 1));
  const std::size_t equals = parameter.find('=');
  if (equals == std::string_view::npos) return false;
  return equals_ignoring_ascii_case(parameter.substr(0, equals), "charset") &&
         equals_ignoring_ascii_case(parameter.substr(equals + 1), "utf-8");
}

}  // namespace

Refusal check_request_headers(const HttpRequest& request) {
  const std::string_view* content_type = nullptr;
  for (const auto& [name, value] : request.headers) {
    for (const std::string_view override_header : kMethodOverrideHeaders) {
      if (equals_ignoring_ascii_case(name, override_header)) {
        return ApiError::invalid_argument(std::string(override_header) +
                                          " is refused: Google would execute another method "
                                          "than the one authorized");
      }
    }
    if (equals_ignoring_ascii_case(name, "Content-Encoding")) {
      return ApiError::invalid_argument("request Content-Encoding is not accepted: " +
                                        quote_input(value));
    }
    if (equals_ignoring_ascii_case(name, "Content-Type")) {
      if (content_type != nullptr) {
        return ApiError::invalid_argument("more than one Content-Type header");
      }
      content_type = &value;
    }
  }
  if (content_type != nullptr && !is_json_content_type(*content_type)) {
    return ApiError::invalid_argument("Content-Type must be application/json, not " +
                                      quote_input(*content_type));
  }
  if (content_type == nullptr && !request.body.empty()) {
    return ApiError::invalid_argument("a request body needs Content-Type: application/json");
  }
  return std::nullopt;
}

}  // namespace firewarden::firestore
