#include "firewarden/firestore/request_headers.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "firewarden/firestore/percent_encoding.hpp"
#include "firewarden/firestore/text.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::firestore {
namespace {

constexpr std::array<std::string_view, 3> kMethodOverrideHeaders = {
    "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"};

using text::iequals;
using text::trim;

// RFC 9110 §8.3.1: media-type = type "/" subtype *( OWS ";" OWS parameter ).
// Accepted: application/json, with at most one parameter, charset=utf-8.
bool is_json_content_type(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  if (!iequals(trim(value.substr(0, semicolon)), "application/json")) {
    return false;
  }
  if (semicolon == std::string_view::npos) return true;
  const std::string_view parameter = trim(value.substr(semicolon + 1));
  const std::size_t equals = parameter.find('=');
  if (equals == std::string_view::npos) return false;
  return iequals(parameter.substr(0, equals), "charset") &&
         iequals(parameter.substr(equals + 1), "utf-8");
}

constexpr std::string_view kResourcePrefix = "google-cloud-resource-prefix";
constexpr std::string_view kRequestParams = "x-goog-request-params";

ApiError routing_mismatch(std::string_view header) {
  return ApiError::invalid_argument(std::string(header) + " does not match the request's database");
}

// The values of header `name`, in order.
std::vector<std::string_view> header_values(const HttpRequest& request, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [field, value] : request.headers) {
    if (iequals(field, name)) values.push_back(value);
  }
  return values;
}

// `name` is the database itself or a resource below it whose segments are
// all non-empty and neither `.` nor `..` (a server normalising the path
// would otherwise read another resource).
bool names_within(std::string_view name, std::string_view database_name) {
  if (name == database_name) return true;
  if (!name.starts_with(database_name) || name.size() == database_name.size() ||
      name[database_name.size()] != '/') {
    return false;
  }
  std::string_view rest = name.substr(database_name.size() + 1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

// One application/x-www-form-urlencoded key or value, decoded once: '+' is a
// space (Python's api-core builds the header with urlencode, which writes
// spaces so; the Node SDK writes %20 and escapes '+' as %2B).
std::optional<std::string> decode_form_component(std::string_view raw) {
  std::string spaced(raw);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  std::optional<std::string> decoded = percent_decode(spaced);
  if (!decoded || !is_valid_utf8(*decoded) || has_control_character(*decoded)) {
    return std::nullopt;
  }
  return decoded;
}

// Does one key=value pair of x-goog-request-params agree with `database`?
Refusal check_request_param(std::string_view key, std::string_view value,
                            const DatabaseRef& database, std::string_view database_name) {
  if (key == "database") {
    if (value != database_name) return routing_mismatch(kRequestParams);
  } else if (key == "name" || key == "parent" || key == "document.name") {
    if (!names_within(value, database_name)) return routing_mismatch(kRequestParams);
  } else if (key == "project_id") {
    if (value != database.project) return routing_mismatch(kRequestParams);
  } else if (key == "database_id") {
    if (value != database.database) return routing_mismatch(kRequestParams);
  } else if (key != "collection_id") {
    return ApiError::invalid_argument(std::string(kRequestParams) + " has an unknown key " +
                                      quote_input(key));
  }
  return std::nullopt;
}

Refusal check_request_params(std::string_view header, const DatabaseRef& database,
                             std::string_view database_name) {
  std::set<std::string> keys;
  std::size_t start = 0;
  while (start <= header.size()) {
    const std::size_t end = std::min(header.find('&', start), header.size());
    const std::string_view pair = header.substr(start, end - start);
    start = end + 1;
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      return ApiError::invalid_argument(std::string(kRequestParams) + " is not key=value pairs");
    }
    const auto key = decode_form_component(pair.substr(0, equals));
    const auto value = decode_form_component(pair.substr(equals + 1));
    if (!key || !value) {
      return ApiError::invalid_argument(std::string(kRequestParams) + " is not well encoded");
    }
    if (!keys.insert(*key).second) {
      return ApiError::invalid_argument(std::string(kRequestParams) + " names " +
                                        quote_input(*key) + " twice");
    }
    if (Refusal refusal = check_request_param(*key, *value, database, database_name)) {
      return refusal;
    }
  }
  return std::nullopt;
}

}  // namespace

Checked<RoutingHeaders> rebuild_routing_headers(const HttpRequest& request,
                                                const DatabaseRef& database,
                                                RepeatedRoutingHeaders repeated) {
  const std::vector<std::string_view> prefixes = header_values(request, kResourcePrefix);
  const std::vector<std::string_view> params = header_values(request, kRequestParams);
  RoutingHeaders rebuilt;
  if (prefixes.empty() && params.empty()) return rebuilt;  // the common case
  const std::string database_name = database.name();
  if (repeated == RepeatedRoutingHeaders::refuse) {
    if (prefixes.size() > 1) {
      return ApiError::invalid_argument(std::string(kResourcePrefix) + " given twice");
    }
    if (params.size() > 1) {
      return ApiError::invalid_argument(std::string(kRequestParams) + " given twice");
    }
  }
  for (const std::string_view prefix : prefixes) {
    if (prefix != database_name) return routing_mismatch(kResourcePrefix);
    rebuilt.resource_prefix = database_name;
  }
  for (const std::string_view param : params) {
    if (Refusal refusal = check_request_params(param, database, database_name)) {
      return *refusal;
    }
    // encodeURIComponent, as the SDKs build it: '/' and ':' (a legacy
    // "example.com:p" project) escaped, "(default)" kept.
    rebuilt.request_params = "database=" + percent_encode(database_name, "!*'()");
  }
  return rebuilt;
}

Refusal check_request_headers(const HttpRequest& request) {
  const std::string_view* content_type = nullptr;
  for (const auto& [name, value] : request.headers) {
    for (const std::string_view override_header : kMethodOverrideHeaders) {
      if (iequals(name, override_header)) {
        return ApiError::invalid_argument(std::string(override_header) +
                                          " is refused: Google would execute another method "
                                          "than the one authorized");
      }
    }
    if (iequals(name, "Content-Encoding")) {
      return ApiError::invalid_argument("request Content-Encoding is not accepted: " +
                                        quote_input(value));
    }
    if (iequals(name, "Content-Type")) {
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
