#pragma once
// How a loader looks up an environment variable for ${VAR} expansion, kept
// free of the YAML headers so the policy interface can name it.
#include <functional>
#include <optional>
#include <string>

namespace firewarden::yaml {

// std::nullopt when unset. The caller decides where values come from
// (config::process_environment() for the daemon, a fixed map in tests): the
// yaml and policy modules read no globals.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

}  // namespace firewarden::yaml
