#include "firewarden/proxy/header_hygiene.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace firewarden::proxy {
namespace {

constexpr std::array<std::string_view, 12> kForwardedRequestHeaders{
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "user-agent",
    "x-goog-api-client",
    "x-goog-request-params",
    "google-cloud-resource-prefix",
    "tracestate",
    "x-firebase-gmpid",
    "x-goog-spanner-route-to-leader",  // harmless routing hint some gapic clients send
    "x-goog-request-reason",
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded value decoding ('+' is a space).
std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// The field names a Connection header lists (lowercase): hop-by-hop fields
// (RFC 9110 §7.6.1).
std::vector<std::string> connection_named(const http::fields& fields) {
  std::vector<std::string> named;
  const auto connections = fields.equal_range(http::field::connection);
  for (auto connection = connections.first; connection != connections.second; ++connection) {
    for (std::string_view token : split(connection->value(), ',')) {
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty()) named.push_back(lowercase(token));
    }
  }
  return named;
}

bool lies_in(std::string_view name, std::string_view database_name) {
  return name == database_name ||
         (name.size() > database_name.size() && name.starts_with(database_name) &&
          name[database_name.size()] == '/');
}

firestore::ApiError routing_mismatch(std::string_view header) {
  return firestore::ApiError::invalid_argument(std::string(header) +
                                               " does not match the request's database");
}

std::optional<firestore::ApiError> check_request_params(std::string_view value,
                                                        std::string_view project,
                                                        std::string_view database,
                                                        std::string_view database_name) {
  constexpr std::string_view kHeader = "x-goog-request-params";
  for (std::string_view pair : split(value, '&')) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) return routing_mismatch(kHeader);
    const auto key = form_decode(pair.substr(0, equals));
    const auto decoded = form_decode(pair.substr(equals + 1));
    if (!key || !decoded) return routing_mismatch(kHeader);
    if (*key == "database" || *key == "name" || *key == "parent" || *key == "document.name") {
      if (!lies_in(*decoded, database_name)) return routing_mismatch(kHeader);
    } else if (*key == "project_id") {
      if (*decoded != project) return routing_mismatch(kHeader);
    } else if (*key == "database_id") {
      if (*decoded != database) return routing_mismatch(kHeader);
    } else if (*key != "collection_id") {
      return firestore::ApiError::invalid_argument(std::string(kHeader) + " has an unknown key");
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_forwarded_request_header(std::string_view name) {
  const std::string lower = lowercase(name);
  for (std::string_view allowed : kForwardedRequestHeaders) {
    if (lower == allowed) return true;
  }
  return false;
}

http::request<http::string_body> make_upstream_request(
    const http::request<http::string_body>& client, std::string_view target, std::string body,
    const UpstreamHeaders& headers) {
  http::request<http::string_body> upstream{client.method(), target, 11};
  // Fields the client's Connection names are hop-by-hop, even allowlisted
  // ones (RFC 9110 §7.6.1).
  const std::vector<std::string> hop_by_hop = connection_named(client);
  for (const auto& field : client) {
    const std::string name = lowercase(field.name_string());
    if (is_forwarded_request_header(name) &&
        std::find(hop_by_hop.begin(), hop_by_hop.end(), name) == hop_by_hop.end()) {
      upstream.insert(field.name_string(), field.value());
    }
  }
  upstream.set(http::field::host, headers.authority);
  if (!headers.bearer_token.empty()) {
    upstream.set(http::field::authorization, "Bearer " + std::string(headers.bearer_token));
  }
  upstream.set("traceparent", headers.traceparent);
  upstream.set("x-request-id", headers.request_id);
  upstream.body() = std::move(body);
  upstream.keep_alive(true);
  upstream.prepare_payload();  // Content-Length from the checked body
  return upstream;
}

void strip_hop_by_hop(http::fields& fields) {
  // Headers named in Connection first, then the fixed list.
  const std::vector<std::string> named = connection_named(fields);
  for (const std::string& name : named) fields.erase(name);
  for (auto field :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::te, http::field::trailer, http::field::transfer_encoding, http::field::upgrade,
        http::field::proxy_authenticate}) {
    fields.erase(field);
  }
}

std::optional<firestore::ApiError> check_routing_headers(
    const http::request<http::string_body>& request, std::string_view project,
    std::string_view database) {
  const std::string database_name =
      "projects/" + std::string(project) + "/databases/" + std::string(database);

  const auto prefixes = request.equal_range("google-cloud-resource-prefix");
  if (std::distance(prefixes.first, prefixes.second) > 1) {
    return firestore::ApiError::invalid_argument("google-cloud-resource-prefix given twice");
  }
  if (prefixes.first != prefixes.second && prefixes.first->value() != database_name) {
    return routing_mismatch("google-cloud-resource-prefix");
  }

  const auto params = request.equal_range("x-goog-request-params");
  if (std::distance(params.first, params.second) > 1) {
    return firestore::ApiError::invalid_argument("x-goog-request-params given twice");
  }
  if (params.first != params.second) {
    return check_request_params(params.first->value(), project, database, database_name);
  }
  return std::nullopt;
}

}  // namespace firewarden::proxy
