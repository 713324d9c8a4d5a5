#include "firewarden/app/load.hpp"

#include <iostream>

namespace firewarden::app {

std::shared_ptr<const config::Config> load_config_or_report(const std::string& path) {
  auto loaded = config::load_config_file(path, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return nullptr;
  }
  return std::get<std::shared_ptr<const config::Config>>(std::move(loaded));
}

}  // namespace firewarden::app
