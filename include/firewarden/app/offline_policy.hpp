#pragma once
// What `explain` and `test` evaluate against: the policy from --policy (or
// the policy.file of --config) and the identity and Firestore settings of
// --config, or defaults without one (EvaluationSettings).
#include <memory>
#include <optional>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/explanation.hpp"
#include "firewarden/policy/policy.hpp"

namespace firewarden::app {

struct OfflinePolicy {
  std::shared_ptr<const policy::Policy> policy;
  EvaluationSettings settings;
};

// nullopt after printing why on stderr (config or policy diagnostics as
// FILE:LINE:COL: message, or a missing --policy): the caller exits 2. Only an
// explicit --config is read ($FIREWARDEN_CONFIG is for the daemon), so an
// answer never depends on the environment by surprise.
std::optional<OfflinePolicy> load_offline_policy(const CommandLine& line);

}  // namespace firewarden::app
