#pragma once
// Loading the config for the commands: diagnostics printed as
// FILE:LINE:COL: message on stderr.
#include <memory>

#include "firewarden/app/command_line.hpp"
#include "firewarden/config/config.hpp"
#include "firewarden/net/server_tls.hpp"
#include "firewarden/policy/policy.hpp"

namespace firewarden::app {

// The config at `path` with the FIREWARDEN_* environment and the command's
// --set values over it (--set wins), or nullptr after printing every
// diagnostic.
std::shared_ptr<const config::Config> load_config_or_report(const std::string& path,
                                                            const CommandLine& line);

// Reads the policy file at `path` (at most 16 MiB; an unreadable file is one
// diagnostic with line 0) and loads it, ${VAR}s looked up in `env`.
policy::LoadResult load_policy_file(const std::string& path, const yaml::EnvLookup& env);

// mtls: the files of the data-plane TLS context, with the trust bundle of
// each accepted trust domain. `config.listener.tls` must be set.
transport::ServerTlsFiles server_tls_files(const config::Config& config);

}  // namespace firewarden::app
