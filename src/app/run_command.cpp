#include <spdlog/spdlog.h>

#include <iostream>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/daemon.hpp"
#include "firewarden/app/load.hpp"
#include "firewarden/telemetry/logging.hpp"

namespace firewarden::app {
namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::trace:
      return spdlog::level::trace;
    case config::LogLevel::debug:
      return spdlog::level::debug;
    case config::LogLevel::info:
      return spdlog::level::info;
    case config::LogLevel::warn:
      return spdlog::level::warn;
    case config::LogLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

int run_command(const CommandLine& line) {
  const auto config = load_config_or_report(config_path(line));
  if (!config) return kExitFailure;
  // --log-level on the command line wins over the config file.
  auto level = to_spdlog(config->logging.level);
  if (auto flag = line.option("log-level")) level = *telemetry::parse_log_level(*flag);
  telemetry::setup_logging(level, config->logging.format == config::LogFormat::json
                                      ? telemetry::LogFormat::json
                                      : telemetry::LogFormat::text);
  try {
    Daemon daemon(config);
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace firewarden::app
