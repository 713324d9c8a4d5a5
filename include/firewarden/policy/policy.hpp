#pragma once
// The compiled, immutable policy and its decision (SPEC §4). Pure: no I/O
// (app/load.hpp reads policy files), no clocks, no globals.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/firestore/request_model.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/yaml/diagnostic.hpp"
#include "firewarden/yaml/env_lookup.hpp"

namespace firewarden::policy {

struct RequirementVerdict {
  firestore::Requirement requirement;
  bool allowed = false;
  // The enforcing deny rule that touches it, else the allow rule covering it,
  // else empty (default deny).
  std::string rule;
};

struct DryRunVerdict {
  std::string rule;
  bool would_allow = false;  // false: the rule would have denied
};

// What a write returns is a read (SPEC §4): a write's response carries the
// document as written (UpdateDocument, CreateDocument) or the values after a
// transform (Commit, BatchWrite), so a caller that may write a collection but
// not `get` from it would read through its writes. Set on an allowed decision
// for the first collection the request creates or updates documents in on
// which the caller has no `get`; the proxy then cuts the response to what
// carries no document data.
struct ResponseCut {
  firestore::CollectionPattern collection;
  // The enforcing deny rule that touches `get` on it; empty when no enforcing
  // allow rule covers it.
  std::string rule;
};

struct Decision {
  bool allowed = false;
  // Deny: the first denying enforce rule, or empty for default deny.
  // Allow: the rule that allowed the first requirement (empty for requests
  // that require nothing, e.g. beginTransaction).
  std::string rule;
  std::vector<RequirementVerdict> requirements;
  std::vector<DryRunVerdict> dry_run;      // dry-run rules that matched, in file order
  std::optional<std::string> impersonate;  // Google service account, first match
  // Allowed requests only: why their response is cut, if it is.
  std::optional<ResponseCut> response_cut;

  bool cuts_response() const { return response_cut.has_value(); }

  // The policy sets impersonation_required and no entry matched: denied even
  // when every requirement is allowed (then `rule` is empty).
  bool no_impersonation = false;

  const RequirementVerdict* first_denied() const;
};

// Why `who` was denied, in one sentence: "spiffe://… may not delete in
// collection payments (no rule allows it)" or "(denied by rule r)"; "… may
// not make this request (no impersonation entry matches it, and the policy
// requires one)" when only impersonation_required denied it. The proxy's 403
// message and `explain` both say it this way.
std::string denial_sentence(const identity::Identity& who, const Decision& decision);

// Why a write's response is cut, in words: "no get on collection orders (no
// rule allows it)" or "… (denied by rule r)". `explain` says it this way.
std::string response_cut_reason(const ResponseCut& cut);

class Policy {
 public:
  virtual ~Policy() = default;
  virtual Decision decide(const identity::Identity& who,
                          const firestore::RequestModel& request) const = 0;
  virtual std::size_t rule_count() const = 0;
};

using LoadResult = std::variant<std::shared_ptr<const Policy>, yaml::Diagnostics>;

// Looks up an environment variable for ${VAR} expansion in string values.
using yaml::EnvLookup;

// `file_name` is used in diagnostics only. String values expand ${VAR} and
// ${VAR:-default} like the config file (yaml::Reader), looked up in `env`
// (the daemon passes the process environment, tests a fixed map).
LoadResult load_policy_text(const std::string& text, const std::string& file_name,
                            const EnvLookup& env);

}  // namespace firewarden::policy
