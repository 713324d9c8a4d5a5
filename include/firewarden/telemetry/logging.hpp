#pragma once
// Process-wide logger set-up (spdlog), done once by the CLI before any command
// runs. Logs go to stderr, where container runtimes collect them.
#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>

namespace firewarden::telemetry {

enum class LogFormat { json, text };

// "trace", "debug", "info", "warn", "error" (SPEC §1 --log-level).
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// `background`: lines go through stderr_writer() (the daemon: a blocked
// stderr never blocks a request); otherwise straight to stderr.
void setup_logging(spdlog::level::level_enum level, LogFormat format, bool background = false);

}  // namespace firewarden::telemetry
