#pragma once
// The process_* families of the Prometheus client libraries' process
// collector, read from /proc when /metrics is scraped (proc(5)).
#include <optional>
#include <string_view>

#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::telemetry {

struct ProcessSample {
  double cpu_seconds = 0;  // user + system
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;  // the soft RLIMIT_NOFILE
};

// The fields of a /proc/<pid>/stat line that ProcessSample needs; nullopt
// when the line is not one (a sample is skipped rather than made up).
// `boot_time` is /proc/stat's btime.
std::optional<ProcessSample> parse_proc_pid_stat(std::string_view line, double ticks_per_second,
                                                 double page_size, double boot_time);

// /proc/stat's "btime" (boot time, Unix seconds).
std::optional<double> parse_boot_time(std::string_view proc_stat);

// This process, now; nullopt where /proc cannot be read.
std::optional<ProcessSample> sample_process();

// Reads this process and sets the process_* families; leaves them as they
// were when /proc cannot be read.
void record_process_sample(const MetricCatalogue& metrics);

}  // namespace firewarden::telemetry
