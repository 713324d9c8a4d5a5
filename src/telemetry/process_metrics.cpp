#include "firewarden/telemetry/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace firewarden::telemetry {
namespace {

std::optional<double> to_number(std::string_view text) {
  unsigned long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return static_cast<double>(value);
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const auto end = text.find_first_of(" \n");
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
  }
  return out;
}

std::optional<std::string> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<double> count_open_fds() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/fd", error);
  if (error) return std::nullopt;
  double count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count;
}

}  // namespace

std::optional<ProcessSample> parse_proc_pid_stat(std::string_view line, double ticks_per_second,
                                                 double page_size, double boot_time) {
  // "pid (comm) state ppid …": comm may hold spaces and ')' itself, so the
  // fields are counted from the last ')'. After it, field 3 (state) is
  // index 0: utime (14) and stime (15) in clock ticks, starttime (22) in
  // ticks since boot, vsize (23) in bytes, rss (24) in pages.
  const auto close = line.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  const auto fields = split_spaces(line.substr(close + 1));
  if (fields.size() < 22) return std::nullopt;
  const auto utime = to_number(fields[11]);
  const auto stime = to_number(fields[12]);
  const auto start = to_number(fields[19]);
  const auto vsize = to_number(fields[20]);
  const auto rss = to_number(fields[21]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcessSample sample;
  sample.cpu_seconds = (*utime + *stime) / ticks_per_second;
  sample.start_time_seconds = boot_time + *start / ticks_per_second;
  sample.virtual_memory_bytes = *vsize;
  sample.resident_memory_bytes = *rss * page_size;
  return sample;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  while (!proc_stat.empty()) {
    const auto end = proc_stat.find('\n');
    const auto line = proc_stat.substr(0, end);
    if (line.starts_with("btime ")) return to_number(line.substr(6));
    if (end == std::string_view::npos) break;
    proc_stat.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<ProcessSample> sample_process() {
  const auto stat = read_all("/proc/self/stat");
  const auto system = read_all("/proc/stat");
  if (!stat || !system) return std::nullopt;
  const auto boot_time = parse_boot_time(*system);
  if (!boot_time) return std::nullopt;
  auto sample = parse_proc_pid_stat(*stat, static_cast<double>(sysconf(_SC_CLK_TCK)),
                                    static_cast<double>(sysconf(_SC_PAGESIZE)), *boot_time);
  const auto open_fds = count_open_fds();
  rlimit limit{};
  if (!sample || !open_fds || getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  sample->open_fds = *open_fds;
  sample->max_fds = static_cast<double>(limit.rlim_cur);
  return sample;
}

void record_process_sample(const MetricCatalogue& metrics) {
  const auto sample = sample_process();
  if (!sample) return;
  metrics.process_cpu_seconds_total.with({}).set(sample->cpu_seconds);
  metrics.process_resident_memory_bytes.with({}).set(sample->resident_memory_bytes);
  metrics.process_virtual_memory_bytes.with({}).set(sample->virtual_memory_bytes);
  metrics.process_start_time_seconds.with({}).set(sample->start_time_seconds);
  metrics.process_open_fds.with({}).set(sample->open_fds);
  metrics.process_max_fds.with({}).set(sample->max_fds);
}

}  // namespace firewarden::telemetry
