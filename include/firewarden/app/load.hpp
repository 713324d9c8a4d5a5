#pragma once
// Loading the config for the commands: diagnostics printed as
// FILE:LINE:COL: message on stderr.
#include <memory>

#include "firewarden/config/config.hpp"

namespace firewarden::app {

// The config at `path`, or nullptr after printing every diagnostic.
std::shared_ptr<const config::Config> load_config_or_report(const std::string& path);

}  // namespace firewarden::app
