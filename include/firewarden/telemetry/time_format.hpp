#pragma once
// RFC 3339 UTC timestamps for logs, /status and token diagnostics.
#include <chrono>
#include <string>

namespace firewarden::telemetry {

// "2026-11-26T09:41:44Z" (whole seconds).
std::string format_rfc3339(std::chrono::system_clock::time_point when);
// "2026-11-26T09:41:44.123Z" (milliseconds), for log lines.
std::string format_rfc3339_millis(std::chrono::system_clock::time_point when);
// The same, appended to `out` (no temporary string: one per access line).
void append_rfc3339_millis(std::string& out, std::chrono::system_clock::time_point when);

}  // namespace firewarden::telemetry
