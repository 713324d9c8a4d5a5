#pragma once
// Process-wide logger set-up (spdlog), done once by the CLI before any command
// runs. Logs go to stderr, where container runtimes collect them.
#include <spdlog/common.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace firewarden::telemetry {

enum class LogFormat { json, text, gcp };

// logging.format: gcp. Cloud Logging's severity for a level (trace and debug
// are DEBUG, warn WARNING, err ERROR), and the diagnostic line itself
// {"time":…,"severity":…,"message":…}, without its newline.
std::string_view gcp_severity(spdlog::level::level_enum level);
std::string gcp_diagnostic_line(spdlog::level::level_enum level, std::string_view message,
                                std::chrono::system_clock::time_point when);

// "trace", "debug", "info", "warn", "error" (SPEC §1 --log-level).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// `background`: lines go through stderr_writer() (the daemon: a blocked
// stderr never blocks a request); otherwise straight to stderr.
void setup_logging(spdlog::level::level_enum level, LogFormat format, bool background = false);

}  // namespace firewarden::telemetry
