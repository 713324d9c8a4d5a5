#pragma once
// How many worker threads `threads: 0` means: one per CPU the process may
// actually use. A container's CPU limit is a cgroup CPU quota, not fewer
// cores: a pod limited to 2 CPUs on a 64-core node that runs 64 threads is
// throttled (CFS bandwidth control) instead of running faster. The parsers
// take the files' contents, so they are tested without a cgroup.
#include <optional>
#include <string>
#include <string_view>

namespace firewarden::app {

// What a cgroup CPU limit file says.
struct CpuQuota {
  bool understood = false;       // false: unreadable contents (ignored, with a warning)
  std::optional<unsigned> cpus;  // the quota in CPUs, rounded up, at least 1; nullopt: none
};

// cgroup v2 `cpu.max`: "QUOTA PERIOD" in microseconds, or "max PERIOD" for
// no quota (Documentation/admin-guide/cgroup-v2.rst, "cpu.max").
CpuQuota parse_cgroup_v2_cpu_max(std::string_view contents);
// cgroup v1 `cpu.cfs_quota_us` (-1: no quota) and `cpu.cfs_period_us`
// (Documentation/scheduler/sched-bwc.rst).
CpuQuota parse_cgroup_v1_cfs(std::string_view quota_us, std::string_view period_us);
// The cgroup v2 path of this process from /proc/self/cgroup ("0::/PATH"),
// or nullopt when it has none (cgroup v1 only).
std::optional<std::string> cgroup_v2_path(std::string_view proc_self_cgroup);

// One worker per usable CPU: the quota when there is one, never more than the
// cores the process may run on, at least 1.
unsigned worker_threads_for(unsigned cores, std::optional<unsigned> quota_cpus);

struct ThreadChoice {
  unsigned threads = 1;
  unsigned cores = 1;                  // hardware threads this process may run on
  std::optional<unsigned> quota_cpus;  // the tightest cgroup CPU quota found
};

// Reads this process's cgroup (v2: its own and every ancestor's cpu.max,
// the tightest wins; else v1 cpu.cfs_quota_us / cpu.cfs_period_us) and its
// CPU affinity.
ThreadChoice choose_worker_threads();

}  // namespace firewarden::app
