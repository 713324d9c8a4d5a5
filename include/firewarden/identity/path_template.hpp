#pragma once
// identity.path_template (SPEC §3): which SPIFFE ID path segments name the
// caller's Kubernetes-style namespace and service account, e.g.
// "/ns/{namespace}/sa/{service_account}".
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/identity/error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/identity/spiffe_id.hpp"

namespace firewarden::identity {

inline constexpr std::size_t max_dns_label_bytes = 63;       // RFC 1123 §2.1
inline constexpr std::size_t max_dns_subdomain_bytes = 253;  // RFC 1123 §2.1

// A Kubernetes namespace name: an RFC 1123 label, at most 63 bytes of
// [a-z0-9-], starting and ending with a letter or digit.
bool is_kubernetes_namespace(std::string_view name);
// A Kubernetes service account name: an RFC 1123 subdomain, at most 253
// bytes of '.'-separated labels as above.
bool is_kubernetes_service_account(std::string_view name);

// What a template extracts from a path that fits it.
struct PathCaptures {
  std::optional<std::string> namespace_name;   // when the template has {namespace}
  std::optional<std::string> service_account;  // when it has {service_account}

  friend bool operator==(const PathCaptures&, const PathCaptures&) = default;
};

class PathTemplate {
 public:
  // Extracts nothing: no path fits it, so identities built with it never
  // carry a namespace or service account.
  PathTemplate() = default;

  // A template is '/'-separated segments, each either a literal SPIFFE path
  // segment ([A-Za-z0-9._-], not "." or "..") or a whole-segment variable
  // `{namespace}` or `{service_account}`, each at most once. Error reasons:
  //   empty, too_long, missing_leading_slash, trailing_slash, empty_segment,
  //   dot_segment, bad_path_character, partial_variable, unknown_variable,
  //   duplicate_variable
  // A literal that no SPIFFE ID could contain is refused here rather than
  // silently never matching.
  static Result<PathTemplate> compile(std::string_view text);

  // The captures when `path` (a validated SpiffeId::path) fits: exactly as
  // many segments as the template, every literal matches byte for byte
  // (SPIFFE paths are case-sensitive, SPIFFE-ID §2.4), the namespace is a
  // Kubernetes namespace name and the service account a Kubernetes service
  // account name (see above). Otherwise nullopt: the path does not fit.
  std::optional<PathCaptures> match(std::string_view path) const;

  const std::string& text() const { return text_; }

 private:
  enum class Kind { literal, namespace_name, service_account };
  struct Segment {
    Kind kind = Kind::literal;
    std::string literal;  // for Kind::literal
  };

  std::string text_;
  std::vector<Segment> segments_;  // empty only when default-constructed
};

// The Identity for `id`: always spiffe_id and trust_domain; namespace_name
// and service_account when the path fits `path_template`, else both empty
// and fits_template false. Whether such an ID may authenticate at all is
// identity.require_template's business (identity_rules.hpp).
Identity make_identity(const SpiffeId& id, const PathTemplate& path_template);

}  // namespace firewarden::identity
