#include "config_values.hpp"

#include <algorithm>
#include <charconv>

#include "firewarden/text/ids.hpp"

namespace firewarden::config::detail {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }

// SPIFFE ID path segment characters (SPIFFE ID spec §2.2, SPEC §3).
bool is_path_char(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-'; }

// Checks one path segment of a SPIFFE ID or path template literal.
std::optional<std::string> check_path_segment(std::string_view segment) {
  if (segment.empty()) return "empty path segment";
  if (segment == "." || segment == "..") return R"(path segment "." or "..")";
  if (!std::all_of(segment.begin(), segment.end(), is_path_char)) {
    return "path segment \"" + std::string(segment) +
           "\" may contain only letters, digits, '.', '_' and '-'";
  }
  return std::nullopt;
}

// A host name for an upstream URL: dot-separated labels of letters, digits,
// '-' and '_' (Docker service names), each 1..63 characters, 253 at most.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = host.find('.', start);
    const auto label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::optional<std::string> check_trust_domain(std::string_view text) {
  if (text.empty()) return "trust domain must not be empty";
  if (text.size() > 255) return "trust domain is longer than 255 bytes";
  const bool charset_ok = std::all_of(text.begin(), text.end(), [](char c) {
    return is_lower(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
  });
  if (!charset_ok) {
    return "trust domain \"" + std::string(text) +
           "\" may contain only lowercase letters, digits, '.', '_' and '-'";
  }
  return std::nullopt;
}

std::optional<std::string> check_spiffe_id(std::string_view text, std::string& trust_domain) {
  constexpr std::string_view kScheme = "spiffe://";
  if (text.size() > 2048) return "SPIFFE ID is longer than 2048 bytes";
  if (!text.starts_with(kScheme)) return "expected a SPIFFE ID like spiffe://TRUST_DOMAIN/PATH";
  const auto rest = text.substr(kScheme.size());
  const auto slash = rest.find('/');
  const auto domain = rest.substr(0, slash);
  if (auto error = check_trust_domain(domain)) return error;
  if (slash == std::string_view::npos) return "SPIFFE ID needs a path after the trust domain";
  auto path = rest.substr(slash + 1);
  while (true) {
    const auto next = path.find('/');
    if (auto error = check_path_segment(path.substr(0, next))) return error;
    if (next == std::string_view::npos) break;
    path = path.substr(next + 1);
  }
  trust_domain = std::string(domain);
  return std::nullopt;
}

std::optional<std::string> check_path_template(std::string_view text) {
  if (!text.starts_with('/')) return "must start with '/'";
  if (text.size() > 2048) return "is longer than 2048 bytes";
  bool has_namespace = false;
  bool has_service_account = false;
  auto rest = text.substr(1);
  while (true) {
    const auto next = rest.find('/');
    const auto segment = rest.substr(0, next);
    if (segment.find_first_of("{}") != std::string_view::npos) {
      bool* seen = segment == "{namespace}"         ? &has_namespace
                   : segment == "{service_account}" ? &has_service_account
                                                    : nullptr;
      if (seen == nullptr) {
        return "\"" + std::string(segment) +
               "\": a variable is a whole segment, {namespace} or {service_account}";
      }
      if (*seen) return std::string(segment) + " appears twice";
      *seen = true;
    } else if (auto error = check_path_segment(segment)) {
      return error;
    }
    if (next == std::string_view::npos) break;
    rest = rest.substr(next + 1);
  }
  return std::nullopt;
}

std::optional<std::string> check_project_id(std::string_view text) {
  // Legacy domain-scoped projects are "example.com:my-project".
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    if (!is_host_name(text.substr(0, colon))) return "invalid domain in project id";
    text = text.substr(colon + 1);
  }
  // Google requires 6..30 characters for new projects; shorter ids are
  // accepted because the emulator takes any id and tests use short ones.
  if (!text::is_lowercase_id(text, 1, 63)) {
    return "expected a project id (lowercase letters, digits and '-', starting with a letter)";
  }
  return std::nullopt;
}

std::optional<std::string> check_database_id(std::string_view text) {
  if (!text::is_database_id(text)) {
    return "expected \"(default)\" or a database id (4 to 63 lowercase letters, digits and "
           "'-', starting with a letter)";
  }
  return std::nullopt;
}

std::optional<std::string> check_scope(std::string_view text) {
  if (text.empty()) return "scope must not be empty";
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return "scope must not contain spaces or control characters";
  }
  return std::nullopt;
}

std::optional<UpstreamEndpoint> parse_endpoint(std::string_view text, std::string& error) {
  UpstreamEndpoint endpoint;
  std::string_view scheme;
  if (text.starts_with("https://")) {
    scheme = "https";
    endpoint.tls = true;
    endpoint.port = 443;
  } else if (text.starts_with("http://")) {
    scheme = "http";
    endpoint.tls = false;
    endpoint.port = 80;
  } else {
    error = "expected an http:// or https:// URL";
    return std::nullopt;
  }
  auto authority = text.substr(scheme.size() + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find_first_of("?#") != std::string_view::npos) {
    error = "must not have a query or fragment";
    return std::nullopt;
  }
  if (authority.find('/') != std::string_view::npos) {
    error = "must not have a path (the API path is added per request)";
    return std::nullopt;
  }
  if (authority.find('@') != std::string_view::npos) {
    error = "must not contain user info";
    return std::nullopt;
  }
  std::string_view host;
  std::optional<std::string_view> port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    host = authority.substr(1, close == std::string_view::npos ? 0 : close - 1);
    const auto after =
        close == std::string_view::npos ? std::string_view{":"} : authority.substr(close + 1);
    auto ip = IpAddress::parse(host);
    if (!ip || !ip->is_ipv6() || (!after.empty() && !after.starts_with(':'))) {
      error = "invalid bracketed IPv6 host";
      return std::nullopt;
    }
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!IpAddress::parse(host) && !is_host_name(host)) {
      error = "invalid host \"" + std::string(host) + "\"";
      return std::nullopt;
    }
  }
  if (port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || !is_digit(port->front()) || ec != std::errc{} ||
        end != port->data() + port->size() || value == 0 || value > 65535) {
      error = "port must be a number from 1 to 65535";
      return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  endpoint.host = std::string(host);
  endpoint.authority = std::string(authority);
  endpoint.url = std::string(scheme) + "://" + endpoint.authority;
  return endpoint;
}

}  // namespace firewarden::config::detail
