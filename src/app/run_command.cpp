#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <iostream>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/daemon.hpp"
#include "firewarden/app/load.hpp"
#include "firewarden/telemetry/line_writer.hpp"
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

telemetry::LogFormat to_telemetry(config::LogFormat format) {
  switch (format) {
    case config::LogFormat::json:
      return telemetry::LogFormat::json;
    case config::LogFormat::text:
      return telemetry::LogFormat::text;
    case config::LogFormat::gcp:
      return telemetry::LogFormat::gcp;
  }
  return telemetry::LogFormat::json;
}

}  // namespace

int run_command(const CommandLine& line) {
  const auto config = load_config_or_report(config_path(line), line);
  if (!config) return kExitFailure;
  // --log-level on the command line wins over the config file.
  auto level = to_spdlog(config->logging.level);
  if (auto flag = line.option("log-level")) level = *telemetry::parse_log_level(*flag);
  telemetry::setup_logging(level, to_telemetry(config->logging.format), /*background=*/true);
  // A log pipe whose reader went away is a write error (counted, dropped),
  // not a signal that kills the proxy.
  std::signal(SIGPIPE, SIG_IGN);
  int exit_code = kExitFailure;
  try {
    Daemon daemon(config);
    exit_code = daemon.run();
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
  }
  // Bounded: a log destination that is stuck does not hold up exit.
  telemetry::stderr_writer().flush(std::chrono::seconds(2));
  telemetry::stdout_writer().flush(std::chrono::seconds(2));
  return exit_code;
}

}  // namespace firewarden::app
