#include "firewarden/app/cpu_quota.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <thread>

#include "firewarden/app/file_digest.hpp"

namespace firewarden::app {
namespace {

// Kernel files end in one newline.
std::string_view without_newline(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  return text;
}

// A positive decimal integer, the whole text.
std::optional<std::uint64_t> positive_integer(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

// CPUs = quota / period, rounded up: 150000/100000 is 1.5 CPUs, and two
// threads use it; a quota below one period is still one thread.
CpuQuota quota_of(std::uint64_t quota, std::uint64_t period) {
  const std::uint64_t cpus = quota / period + (quota % period != 0 ? 1 : 0);
  return {true, static_cast<unsigned>(std::min<std::uint64_t>(
                    std::max<std::uint64_t>(cpus, 1), std::numeric_limits<unsigned>::max()))};
}

const std::string kCgroupRoot = "/sys/fs/cgroup";

std::optional<CpuQuota> read_v2(const std::string& directory) {
  const auto contents = read_file(directory + "/cpu.max");
  if (!contents) return std::nullopt;
  return parse_cgroup_v2_cpu_max(*contents);
}

// The tightest quota of the cgroup and its ancestors: a parent's limit holds
// for every child.
std::optional<CpuQuota> tightest_v2_quota() {
  const auto self = read_file("/proc/self/cgroup");
  if (!self) return std::nullopt;
  auto path = cgroup_v2_path(*self);
  if (!path) return std::nullopt;
  std::optional<CpuQuota> tightest;
  for (;;) {
    if (auto found = read_v2(kCgroupRoot + (*path == "/" ? "" : *path))) {
      if (!found->understood) return found;
      if (!tightest || (found->cpus && (!tightest->cpus || *found->cpus < *tightest->cpus))) {
        tightest = found;
      }
    }
    if (*path == "/" || path->empty()) break;
    const std::size_t slash = path->rfind('/');
    *path = slash == 0 || slash == std::string::npos ? "/" : path->substr(0, slash);
  }
  return tightest;
}

std::optional<CpuQuota> v1_quota() {
  for (const char* controller : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
    const std::string directory = kCgroupRoot + controller;
    const auto quota = read_file(directory + "/cpu.cfs_quota_us");
    const auto period = read_file(directory + "/cpu.cfs_period_us");
    if (quota && period) return parse_cgroup_v1_cfs(*quota, *period);
  }
  return std::nullopt;
}

unsigned usable_cores() {
  unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cores = std::min(cores, static_cast<unsigned>(std::max(1, CPU_COUNT(&set))));
  }
  return cores;
}

}  // namespace

CpuQuota parse_cgroup_v2_cpu_max(std::string_view contents) {
  const std::string_view text = without_newline(contents);
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return {};
  const std::string_view max = text.substr(0, space);
  const auto period = positive_integer(text.substr(space + 1));
  if (!period) return {};
  if (max == "max") return {true, std::nullopt};
  const auto quota = positive_integer(max);
  if (!quota) return {};
  return quota_of(*quota, *period);
}

CpuQuota parse_cgroup_v1_cfs(std::string_view quota_us, std::string_view period_us) {
  const auto period = positive_integer(without_newline(period_us));
  if (!period) return {};
  if (without_newline(quota_us) == "-1") return {true, std::nullopt};
  const auto quota = positive_integer(without_newline(quota_us));
  if (!quota) return {};
  return quota_of(*quota, *period);
}

std::optional<std::string> cgroup_v2_path(std::string_view proc_self_cgroup) {
  // One line per hierarchy, "ID:CONTROLLERS:PATH"; the v2 one is "0::PATH".
  while (!proc_self_cgroup.empty()) {
    const std::size_t end = proc_self_cgroup.find('\n');
    const std::string_view line = proc_self_cgroup.substr(0, end);
    if (line.starts_with("0::/")) return std::string(line.substr(3));
    if (end == std::string_view::npos) break;
    proc_self_cgroup.remove_prefix(end + 1);
  }
  return std::nullopt;
}

unsigned worker_threads_for(unsigned cores, std::optional<unsigned> quota_cpus) {
  const unsigned threads = quota_cpus ? std::min(cores, *quota_cpus) : cores;
  return std::max(1U, threads);
}

ThreadChoice choose_worker_threads() {
  ThreadChoice choice;
  choice.cores = usable_cores();
  auto quota = tightest_v2_quota();
  if (!quota) quota = v1_quota();
  if (quota && !quota->understood) {
    spdlog::warn("threads: 0: cannot read the cgroup CPU quota; one thread per core");
  } else if (quota) {
    choice.quota_cpus = quota->cpus;
  }
  choice.threads = worker_threads_for(choice.cores, choice.quota_cpus);
  return choice;
}

}  // namespace firewarden::app
