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

void setup_logging(spdlog::level::level_enum level, LogFormat format);

}  // namespace firewarden::telemetry
