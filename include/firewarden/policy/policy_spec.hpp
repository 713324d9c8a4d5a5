#pragma once
// A policy as plain data, between the YAML loader and the compiled Policy.
// The loader produces it (with FILE:LINE:COL errors for anything invalid);
// tests and benchmarks may build one directly. compile_policy turns it into
// the immutable, indexed Policy that decides requests.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/firestore/request_model.hpp"
#include "firewarden/policy/policy.hpp"
#include "firewarden/policy/rule_pattern.hpp"

namespace firewarden::policy {

enum class Effect { allow, deny };
enum class Mode { enforce, dry_run };

// A set of firestore::Action values, one bit each.
using ActionSet = std::uint8_t;

constexpr ActionSet action_bit(firestore::Action action) {
  return static_cast<ActionSet>(1U << static_cast<unsigned>(action));
}

// A policy action name: the seven actions plus the shorthands `read` (get,
// list, query) and `write` (create, update, delete). `list_collections` is
// granted only by its own name. std::nullopt for anything else.
std::optional<ActionSet> parse_action_name(std::string_view name);

// Subject selectors; each given key must match, values within a key are
// alternatives (globs, see glob.hpp). An absent key does not constrain.
struct Subjects {
  std::optional<std::vector<std::string>> namespaces;
  std::optional<std::vector<std::string>> service_accounts;
  std::optional<std::vector<std::string>> principals;  // SPIFFE IDs

  bool any_given() const { return namespaces || service_accounts || principals; }
};

struct RuleSpec {
  std::string name;
  Effect effect = Effect::allow;
  Mode mode = Mode::enforce;
  // Allow rules must give at least one subject key (an allow rule for
  // everyone must say so: principals: ["*"]). A deny rule without subjects
  // applies to every caller.
  Subjects subjects;
  std::optional<std::vector<std::string>> databases;  // std::nullopt: every database
  std::vector<RulePattern> collections;               // at least one
  ActionSet actions = 0;                              // at least one
};

struct ImpersonationSpec {
  Subjects subjects;            // at least one key (catch-all: principals: ["*"])
  std::string service_account;  // a Google service account email
};

struct PolicySpec {
  std::vector<RuleSpec> rules;
  std::vector<ImpersonationSpec> impersonation;  // first match wins
  // A caller no impersonation entry matches is denied rather than forwarded
  // with firewarden's own Google identity.
  bool impersonation_required = false;
};

// Compiles a valid spec. The loader validates everything first; this re-checks
// the invariants decisions rely on (unique non-empty names, subjects on allow
// rules and impersonation entries, non-empty collections and actions, pattern
// sizes) and throws std::invalid_argument when one is broken.
std::shared_ptr<const Policy> compile_policy(PolicySpec spec);

}  // namespace firewarden::policy
