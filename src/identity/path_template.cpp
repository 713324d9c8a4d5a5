#include "firewarden/identity/path_template.hpp"

#include <algorithm>
#include <utility>

#include "parse_helpers.hpp"

namespace firewarden::identity {
namespace {

using detail::is_lower_alnum;
using detail::refuse;

constexpr std::string_view namespace_variable = "namespace";
constexpr std::string_view service_account_variable = "service_account";

bool has_brace(std::string_view text) { return text.find_first_of("{}") != std::string_view::npos; }

// "{name}" -> "name"; anything else (no braces, or braces that are not
// exactly around the whole segment) -> nullopt.
std::optional<std::string_view> variable_name(std::string_view segment) {
  if (segment.size() < 2 || segment.front() != '{' || segment.back() != '}') return std::nullopt;
  const std::string_view name = segment.substr(1, segment.size() - 2);
  if (has_brace(name)) return std::nullopt;
  return name;
}

// One RFC 1123 label without the length limit: [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label_text(std::string_view text) {
  if (text.empty() || !is_lower_alnum(text.front()) || !is_lower_alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_lower_alnum(c) || c == '-'; });
}

}  // namespace

// Kubernetes validates namespaces with IsDNS1123Label (apimachinery
// validation.go): at most 63 bytes.
bool is_kubernetes_namespace(std::string_view name) {
  return name.size() <= max_dns_label_bytes && is_label_text(name);
}

// Kubernetes validates service account names with IsDNS1123Subdomain: at most
// 253 bytes of '.'-separated labels. Like Kubernetes, no per-label length.
bool is_kubernetes_service_account(std::string_view name) {
  if (name.empty() || name.size() > max_dns_subdomain_bytes) return false;
  for (;;) {
    const std::size_t dot = name.find('.');
    if (!is_label_text(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name = name.substr(dot + 1);
  }
}

Result<PathTemplate> PathTemplate::compile(std::string_view text) {
  if (text.empty()) return refuse("empty", "the path template is empty");
  if (text.size() > max_spiffe_id_bytes) {
    return refuse("too_long", "the path template is longer than 2048 bytes");
  }
  if (text.front() != '/') {
    return refuse("missing_leading_slash", "the path template starts with '/'");
  }
  if (text.back() == '/') return refuse("trailing_slash", "the path template ends with '/'");

  PathTemplate compiled;
  compiled.text_ = std::string(text);
  bool has_namespace = false;
  bool has_service_account = false;
  for (const std::string_view part : split_path(text)) {
    const std::optional<std::string_view> name = variable_name(part);
    if (!name) {
      if (has_brace(part)) {
        return refuse("partial_variable",
                      "a variable is a whole segment, e.g. /ns/{namespace}/sa/{service_account}");
      }
      if (std::optional<Error> error = check_path_segment(part)) return std::move(*error);
      compiled.segments_.push_back({Kind::literal, std::string(part)});
      continue;
    }
    const bool is_namespace = *name == namespace_variable;
    if (!is_namespace && *name != service_account_variable) {
      return refuse("unknown_variable", "unknown variable {" + std::string(*name) +
                                            "}; known: {namespace}, {service_account}");
    }
    bool& seen = is_namespace ? has_namespace : has_service_account;
    if (seen) {
      return refuse("duplicate_variable",
                    "variable {" + std::string(*name) + "} appears more than once");
    }
    seen = true;
    compiled.segments_.push_back({is_namespace ? Kind::namespace_name : Kind::service_account, {}});
  }
  return compiled;
}

std::optional<PathCaptures> PathTemplate::match(std::string_view path) const {
  if (segments_.empty() || path.empty() || path.front() != '/') return std::nullopt;
  const std::vector<std::string_view> parts = split_path(path);
  if (parts.size() != segments_.size()) return std::nullopt;

  PathCaptures captures;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return std::nullopt;  // never capture an empty name
    const Segment& segment = segments_[i];
    switch (segment.kind) {
      case Kind::literal:
        if (parts[i] != segment.literal) return std::nullopt;
        break;
      case Kind::namespace_name:
        // A value Kubernetes could not have issued names no namespace: the
        // path does not fit (SPIFFE paths are case-sensitive, so
        // "/ns/Analytics" is not the namespace "analytics").
        if (!is_kubernetes_namespace(parts[i])) return std::nullopt;
        captures.namespace_name = std::string(parts[i]);
        break;
      case Kind::service_account:
        if (!is_kubernetes_service_account(parts[i])) return std::nullopt;
        captures.service_account = std::string(parts[i]);
        break;
    }
  }
  return captures;
}

Identity make_identity(const SpiffeId& id, const PathTemplate& path_template) {
  Identity identity;
  identity.spiffe_id = id.to_string();
  identity.trust_domain = id.trust_domain;
  std::optional<PathCaptures> captures = path_template.match(id.path);
  identity.fits_template = captures.has_value();
  if (captures) {
    identity.namespace_name = std::move(captures->namespace_name);
    identity.service_account = std::move(captures->service_account);
  }
  return identity;
}

}  // namespace firewarden::identity
