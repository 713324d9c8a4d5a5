#include "firewarden/app/offline_policy.hpp"

#include <iostream>

#include "firewarden/app/load.hpp"

namespace firewarden::app {

std::optional<OfflinePolicy> load_offline_policy(const CommandLine& line) {
  OfflinePolicy loaded;
  std::optional<std::string> policy_file = line.option("policy");
  if (auto config_file = line.option("config")) {
    const auto config = load_config_or_report(*config_file, line);
    if (!config) return std::nullopt;
    loaded.settings = EvaluationSettings::from_config(*config);
    if (!policy_file) policy_file = config->policy.file;
  }
  if (!policy_file) {
    std::cerr << "firewarden " << line.command << ": --policy FILE is required (or --config)\n";
    return std::nullopt;
  }
  auto policy = load_policy_file(*policy_file, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&policy)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return std::nullopt;
  }
  loaded.policy = std::get<std::shared_ptr<const policy::Policy>>(std::move(policy));
  return loaded;
}

}  // namespace firewarden::app
