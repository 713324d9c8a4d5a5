#include "firewarden/proxy/header_hygiene.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

#include "firewarden/text/ascii.hpp"

namespace firewarden::proxy {
namespace {

// x-goog-request-params and google-cloud-resource-prefix are not here: they
// are checked and rebuilt by the classifier (firestore/request_headers.hpp)
// and written from the RequestModel, never copied from the client.
constexpr std::array<std::string_view, 10> kForwardedRequestHeaders{
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "user-agent",
    "x-goog-api-client",
    "tracestate",
    "x-firebase-gmpid",
    "x-goog-spanner-route-to-leader",  // harmless routing hint some gapic clients send
    "x-goog-request-reason",
};

// The field names a Connection header lists (lowercase): hop-by-hop fields
// (RFC 9110 §7.6.1). "keep-alive", the usual one, is left out: the fixed
// list removes Keep-Alive anyway, and leaving it out spares the common
// response an allocation.
std::vector<std::string> connection_named(const http::fields& fields) {
  std::vector<std::string> named;
  const auto connections = fields.equal_range(http::field::connection);
  for (auto connection = connections.first; connection != connections.second; ++connection) {
    std::string_view rest = connection->value();
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty() && !text::iequals(token, "keep-alive")) {
        named.push_back(text::lowercase(token));
      }
    }
  }
  return named;
}

}  // namespace

bool is_forwarded_request_header(std::string_view name) {
  for (std::string_view allowed : kForwardedRequestHeaders) {
    if (text::iequals(name, allowed)) return true;
  }
  return false;
}

std::string upstream_request_bytes(const http::request<http::string_body>& client,
                                   std::string_view target, std::string_view body,
                                   const UpstreamHeaders& headers) {
  // Written out directly rather than through an http::request and Beast's
  // serializer: that built a field list node per header and cost ~10% of a
  // proxied GET (bench/RESULTS.md). Names and values copied from the client
  // were validated by Beast's parser (tokens; no CR, LF or NUL in values); the
  // rest are ours.
  std::string out;
  out.reserve(256 + target.size() + headers.bearer_token.size() + body.size());
  const auto line = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  out.append(client.method_string()).append(" ").append(target).append(" HTTP/1.1\r\n");
  // Fields the client's Connection names are hop-by-hop, even allowlisted
  // ones (RFC 9110 §7.6.1).
  const std::vector<std::string> hop_by_hop = connection_named(client);
  for (const auto& field : client) {
    const std::string_view name = field.name_string();
    if (is_forwarded_request_header(name) &&
        (headers.forward_tracestate || !text::iequals(name, "tracestate")) &&
        std::none_of(hop_by_hop.begin(), hop_by_hop.end(),
                     [&](const std::string& named) { return text::iequals(name, named); })) {
      line(name, field.value());
    }
  }
  line("Host", headers.authority);
  if (!headers.bearer_token.empty()) {
    out.append("Authorization: Bearer ").append(headers.bearer_token).append("\r\n");
  }
  if (!headers.resource_prefix.empty()) {
    line("google-cloud-resource-prefix", headers.resource_prefix);
  }
  if (!headers.request_params.empty()) line("x-goog-request-params", headers.request_params);
  line("traceparent", headers.traceparent);
  if (!headers.cloud_trace_context.empty()) {
    line("x-cloud-trace-context", headers.cloud_trace_context);
  }
  line("x-request-id", headers.request_id);
  // Content-Length as Beast's prepare_payload sets it: for any body, and for
  // an empty one on methods that carry a body (POST, PUT, OPTIONS).
  const auto method = client.method();
  if (!body.empty() || method == http::verb::post || method == http::verb::put ||
      method == http::verb::options) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, body.size()).ptr;
    line("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  out.append("\r\n").append(body);
  return out;
}

void strip_hop_by_hop(http::fields& fields) {
  // One pass over the fields (a response has a handful): the fixed list by
  // Beast's field code, the names Connection lists by text.
  const std::vector<std::string> named = connection_named(fields);
  const auto is_hop_by_hop = [&named](const auto& field) {
    switch (field.name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::transfer_encoding:
      case http::field::upgrade:
      case http::field::proxy_authenticate:
        return true;
      default:
        return std::any_of(named.begin(), named.end(), [&](const std::string& name) {
          return text::iequals(field.name_string(), name);
        });
    }
  };
  for (auto field = fields.begin(); field != fields.end();) {
    field = is_hop_by_hop(*field) ? fields.erase(field) : std::next(field);
  }
}

}  // namespace firewarden::proxy
