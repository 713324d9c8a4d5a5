// `threads: 0` counts the cgroup CPU quota (cpu_quota.hpp): the parsers of
// cgroup v2 cpu.max, cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us and
// /proc/self/cgroup, and the choice they lead to.
#include "firewarden/app/cpu_quota.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

using firewarden::app::cgroup_v2_path;
using firewarden::app::CpuQuota;
using firewarden::app::parse_cgroup_v1_cfs;
using firewarden::app::parse_cgroup_v2_cpu_max;
using firewarden::app::worker_threads_for;

namespace {

struct Expected {
  bool understood;
  std::optional<unsigned> cpus;
};

void check(const CpuQuota& got, const Expected& expected) {
  CHECK(got.understood == expected.understood);
  CHECK(got.cpus == expected.cpus);
}

}  // namespace

TEST_CASE("cpu quota: cgroup v2 cpu.max") {
  struct Case {
    std::string contents;
    Expected expected;
  };
  const std::vector<Case> cases{
      {"max 100000\n", {true, std::nullopt}},  // no quota
      {"max 100000", {true, std::nullopt}},
      {"200000 100000\n", {true, 2}},  // 2 CPUs
      {"100000 100000\n", {true, 1}},
      {"150000 100000\n", {true, 2}},  // 1.5 CPUs: rounded up
      {"250001 100000\n", {true, 3}},
      {"50000 100000\n", {true, 1}},  // half a CPU: still one thread
      {"1000 100000\n", {true, 1}},
      {"400000 50000\n", {true, 8}},                      // another period
      {"18446744073709551615 1\n", {true, 4294967295U}},  // clamped, no overflow
      // Anything else is not understood (and ignored, with a warning).
      {"", {false, std::nullopt}},
      {"\n", {false, std::nullopt}},
      {"max\n", {false, std::nullopt}},
      {"200000\n", {false, std::nullopt}},
      {"200000 0\n", {false, std::nullopt}},
      {"0 100000\n", {false, std::nullopt}},
      {"-1 100000\n", {false, std::nullopt}},
      {"200000 100000 5\n", {false, std::nullopt}},
      {"200000  100000\n", {false, std::nullopt}},
      {"2e5 100000\n", {false, std::nullopt}},
      {"max 100000\n\n", {false, std::nullopt}},
      {"MAX 100000\n", {false, std::nullopt}},
      {"99999999999999999999 100000\n", {false, std::nullopt}},  // over 64 bits
  };
  for (const Case& c : cases) {
    CAPTURE(c.contents);
    check(parse_cgroup_v2_cpu_max(c.contents), c.expected);
  }
}

TEST_CASE("cpu quota: cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us") {
  struct Case {
    std::string quota;
    std::string period;
    Expected expected;
  };
  const std::vector<Case> cases{
      {"-1\n", "100000\n", {true, std::nullopt}},  {"200000\n", "100000\n", {true, 2}},
      {"150000\n", "100000\n", {true, 2}},         {"50000\n", "100000\n", {true, 1}},
      {"-1\n", "0\n", {false, std::nullopt}},      {"200000\n", "\n", {false, std::nullopt}},
      {"-2\n", "100000\n", {false, std::nullopt}}, {"abc\n", "100000\n", {false, std::nullopt}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.quota, c.period);
    check(parse_cgroup_v1_cfs(c.quota, c.period), c.expected);
  }
}

TEST_CASE("cpu quota: the cgroup v2 path of this process") {
  CHECK(cgroup_v2_path("0::/\n") == "/");
  CHECK(cgroup_v2_path("0::/kubepods.slice/pod1/cri-abc\n") == "/kubepods.slice/pod1/cri-abc");
  // Hybrid hierarchies: the v2 line is the one with ID 0 and no controllers.
  CHECK(cgroup_v2_path("4:memory:/x\n2:cpu,cpuacct:/y\n0::/z\n") == "/z");
  CHECK(cgroup_v2_path("4:memory:/x\n2:cpu,cpuacct:/y\n") == std::nullopt);
  CHECK(cgroup_v2_path("") == std::nullopt);
  CHECK(cgroup_v2_path("0::relative\n") == std::nullopt);
}

TEST_CASE("cpu quota: worker threads are the quota, never more than the cores, at least 1") {
  struct Case {
    unsigned cores;
    std::optional<unsigned> quota;
    unsigned threads;
  };
  const std::vector<Case> cases{
      {64, std::nullopt, 64}, {64, 2, 2}, {64, 1, 1}, {4, 8, 4}, {4, 4, 4}, {1, 3, 1},
      {0, std::nullopt, 1},   {0, 2, 1},
  };
  for (const Case& c : cases) {
    CAPTURE(c.cores, c.quota);
    CHECK(worker_threads_for(c.cores, c.quota) == c.threads);
  }
}
