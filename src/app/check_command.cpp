// `firewarden check`: everything `run` would refuse at start, without
// starting: config, every referenced file, the policy, the TLS material.
#include <fstream>
#include <iostream>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/load.hpp"
#include "firewarden/config/overrides.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/net/server_tls.hpp"
#include "firewarden/policy/policy.hpp"

namespace firewarden::app {
namespace {

// Problems with the files the config names, at the naming key's position.
std::size_t check_referenced_files(const config::Config& config) {
  std::size_t problems = 0;
  for (const auto& file : config::referenced_files(config)) {
    std::ifstream in(file.path, std::ios::binary);
    if (!in) {
      std::cerr << config.diagnostic(file.key, "cannot read " + file.path).to_string() << "\n";
      ++problems;
    }
  }
  return problems;
}

std::size_t check_policy(const config::Config& config) {
  auto loaded = load_policy_file(config.policy.file, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return problems->size();
  }
  return 0;
}

std::size_t check_tls(const config::Config& config) {
  if (!config.listener.tls) return 0;
  auto made = transport::make_server_tls_context(server_tls_files(config));
  if (auto* error = std::get_if<transport::ServerTlsError>(&made)) {
    // At the key naming the file at fault (its value's position).
    std::cerr << config.diagnostic(error->key, error->detail).to_string() << "\n";
    return 1;
  }
  return 0;
}

// Mode fixed: `run` refuses a fixed_id the identity rules refuse (one that
// does not fit identity.path_template while require_template is true).
std::size_t check_fixed_identity(const config::Config& config) {
  if (config.identity.mode != config::IdentityMode::fixed) return 0;
  auto rules =
      identity::make_identity_rules(config.identity.trust_domains, config.identity.path_template,
                                    config.identity.require_template);
  const auto* valid = std::get_if<identity::IdentityRules>(&rules);
  if (valid == nullptr) return 0;  // the config loader already reported the values
  auto fixed = identity::identity_from_string(config.identity.fixed_id, *valid);
  if (const auto* error = std::get_if<identity::Error>(&fixed)) {
    const std::string message = error->reason + ": " + error->detail;
    std::cerr << config.diagnostic("identity.fixed_id", message).to_string() << "\n";
    return 1;
  }
  return 0;
}

// Audit mode is valid but forwards what the policy denies: said on stderr,
// at the key's position, without failing the check.
void warn_about_enforcement(const config::Config& config) {
  if (config.policy.enforcement != config::Enforcement::audit) return;
  std::cerr << config
                   .diagnostic("policy.enforcement",
                               "warning: audit mode forwards requests the policy denies "
                               "(they are only logged and counted as decision deny); "
                               "switch to enforce once no unexpected denials are logged")
                   .to_string()
            << "\n";
}

}  // namespace

int check_command(const CommandLine& line) {
  const std::string path = config_path(line);
  const auto config = load_config_or_report(path, line);
  if (!config) return kExitFailure;
  const bool print = line.option("print-config").has_value();
  if (print) std::cout << config::print_config(*config);
  warn_about_enforcement(*config);
  std::size_t problems = check_referenced_files(*config);
  if (problems == 0) {
    problems += check_policy(*config) + check_tls(*config) + check_fixed_identity(*config);
  }
  if (problems > 0) return kExitFailure;
  if (print) return kExitOk;  // stdout holds the YAML only
  std::cout << path << ": ok (policy " << config->policy.file << ")\n";
  return kExitOk;
}

}  // namespace firewarden::app
