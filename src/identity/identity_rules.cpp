#include "firewarden/identity/identity_rules.hpp"

#include <algorithm>
#include <utility>

namespace firewarden::identity {
namespace {

std::string describe(const Error& error) { return error.reason + ": " + error.detail; }

}  // namespace

Result<IdentityRules> make_identity_rules(std::vector<std::string> trust_domains,
                                          std::string_view path_template, bool require_template) {
  if (trust_domains.empty()) {
    return Error{"no_trust_domains", "at least one trust domain is needed"};
  }
  for (std::size_t i = 0; i < trust_domains.size(); ++i) {
    if (std::optional<Error> error = check_trust_domain(trust_domains[i])) {
      // Named by position: an invalid entry may hold unprintable bytes.
      return Error{"bad_trust_domain",
                   "trust_domains[" + std::to_string(i) + "]: " + describe(*error)};
    }
  }
  Result<PathTemplate> compiled = PathTemplate::compile(path_template);
  if (const Error* error = std::get_if<Error>(&compiled)) {
    return Error{"bad_path_template", describe(*error)};
  }
  return IdentityRules{std::move(trust_domains), std::move(std::get<PathTemplate>(compiled)),
                       require_template};
}

bool is_trusted_domain(std::string_view trust_domain,
                       const std::vector<std::string>& trust_domains) {
  return std::find(trust_domains.begin(), trust_domains.end(), trust_domain) != trust_domains.end();
}

Result<Identity> identity_from_spiffe_id(const SpiffeId& id, const IdentityRules& rules) {
  if (id.is_trust_domain_id()) {
    return Error{"missing_path", "a trust domain ID names no workload"};
  }
  if (!is_trusted_domain(id.trust_domain, rules.trust_domains)) {
    // The trust domain passed validation ([a-z0-9._-]), so it is safe to log.
    return Error{"untrusted_trust_domain", "trust domain " + id.trust_domain + " is not trusted"};
  }
  Identity identity = make_identity(id, rules.path_template);
  if (!identity.fits_template && rules.require_template) {
    // Admitting it would give a caller that no namespace or service account
    // rule can name; refuse it (SPEC §3). The template is config, safe to log.
    return Error{"off_template", "the ID does not fit identity.path_template " +
                                     rules.path_template.text() +
                                     " (namespace and service account must be Kubernetes names)"};
  }
  return identity;
}

Result<Identity> identity_from_spiffe_id(const Result<SpiffeId>& id, const IdentityRules& rules) {
  if (const Error* error = std::get_if<Error>(&id)) return *error;
  return identity_from_spiffe_id(std::get<SpiffeId>(id), rules);
}

Result<Identity> identity_from_string(std::string_view text, const IdentityRules& rules) {
  return identity_from_spiffe_id(parse_presented_spiffe_id(text), rules);
}

}  // namespace firewarden::identity
