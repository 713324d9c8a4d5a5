#pragma once
// The identity config every mode shares (SPEC §2 identity.trust_domains and
// identity.path_template): which trust domains are accepted and how a
// SPIFFE ID becomes an Identity. mtls (svid.hpp), xfcc (xfcc.hpp) and fixed
// all end here, so the three modes cannot drift apart.
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/identity/error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/identity/path_template.hpp"
#include "firewarden/identity/spiffe_id.hpp"

namespace firewarden::identity {

struct IdentityRules {
  // SPIFFE IDs from any other trust domain are refused. Empty refuses all.
  std::vector<std::string> trust_domains;
  PathTemplate path_template;
  // identity.require_template: an ID whose path does not fit path_template is
  // refused (reason off_template) instead of authenticating without a
  // namespace and service account.
  bool require_template = true;
};

// Validates config values into rules. Error reasons: no_trust_domains,
// bad_trust_domain (detail names the entry and why), bad_path_template
// (detail: the template's own reason and message).
Result<IdentityRules> make_identity_rules(std::vector<std::string> trust_domains,
                                          std::string_view path_template,
                                          bool require_template = true);

// True when `trust_domain` is one of `trust_domains`, compared exactly
// (valid trust domains are lowercase-only, so exact is case-correct).
bool is_trusted_domain(std::string_view trust_domain,
                       const std::vector<std::string>& trust_domains);

// The Identity for an already parsed SPIFFE ID, or:
//   missing_path: a trust domain ID (no path) names the trust domain
//     itself, never a workload (X.509-SVID §3.1, §5.2);
//   untrusted_trust_domain: not in rules.trust_domains;
//   off_template: rules.require_template and the path does not fit
//     rules.path_template (make_identity).
Result<Identity> identity_from_spiffe_id(const SpiffeId& id, const IdentityRules& rules);

// Passes `id`'s error through unchanged, else as above. Lets every entry
// point (SVID, XFCC, string) end in the same call.
Result<Identity> identity_from_spiffe_id(const Result<SpiffeId>& id, const IdentityRules& rules);

// parse_presented_spiffe_id, then identity_from_spiffe_id. For
// identity.fixed_id and `firewarden explain --identity`.
Result<Identity> identity_from_string(std::string_view text, const IdentityRules& rules);

}  // namespace firewarden::identity
