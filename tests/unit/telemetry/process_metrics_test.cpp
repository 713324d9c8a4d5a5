// process_* from /proc (proc(5)), info-style gauges and sampled counters.
#include "firewarden/telemetry/process_metrics.hpp"

#include <catch2/catch.hpp>
#include <ctime>
#include <string>

using namespace firewarden::telemetry;

namespace {

// A /proc/<pid>/stat line whose comm holds a space and a ')': fields are
// counted from the last ')'. utime 250, stime 150, starttime 1000 ticks,
// vsize 123456789 bytes, rss 2048 pages.
const std::string kStat =
    "4242 (fire warden) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 5 0 1000 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

}  // namespace

TEST_CASE("a /proc/<pid>/stat line gives CPU time, memory and start time") {
  const auto sample = parse_proc_pid_stat(kStat, 100, 4096, 1'700'000'000);
  REQUIRE(sample);
  CHECK(sample->cpu_seconds == Approx(4.0));
  CHECK(sample->resident_memory_bytes == 2048.0 * 4096);
  CHECK(sample->virtual_memory_bytes == 123456789.0);
  CHECK(sample->start_time_seconds == Approx(1'700'000'010.0));
}

TEST_CASE("a line that is not a stat line gives no sample") {
  CHECK_FALSE(parse_proc_pid_stat("", 100, 4096, 0));
  CHECK_FALSE(parse_proc_pid_stat("4242 (no closing paren S 1 2 3", 100, 4096, 0));
  CHECK_FALSE(parse_proc_pid_stat("4242 (short) S 1 2 3\n", 100, 4096, 0));
  std::string bad = kStat;
  bad.replace(bad.find(" 250 "), 5, " 2x0 ");
  CHECK_FALSE(parse_proc_pid_stat(bad, 100, 4096, 0));
  CHECK_FALSE(parse_proc_pid_stat(kStat, 0, 4096, 0));
}

TEST_CASE("/proc/stat's btime is the boot time") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000.0);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\nprocesses 9\n"));
  CHECK_FALSE(parse_boot_time("btime soon\n"));
}

TEST_CASE("this process, sampled now") {
  const auto sample = sample_process();
  REQUIRE(sample);
  const auto now = static_cast<double>(std::time(nullptr));
  CHECK(sample->start_time_seconds <= now + 1);
  CHECK(sample->start_time_seconds > now - 3600);
  CHECK(sample->resident_memory_bytes > 0);
  CHECK(sample->virtual_memory_bytes >= sample->resident_memory_bytes);
  CHECK(sample->open_fds >= 3);  // stdin, stdout, stderr
  CHECK(sample->max_fds >= sample->open_fds);
  CHECK(sample->cpu_seconds >= 0);
}

TEST_CASE("the process families render with the client libraries' names and types") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  record_process_sample(metrics);
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("# TYPE process_cpu_seconds_total counter\n"));
  for (const std::string gauge :
       {"process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds"}) {
    CAPTURE(gauge);
    CHECK_THAT(text, Catch::Contains("# TYPE " + gauge + " gauge\n"));
    CHECK_THAT(text, Catch::Contains("\n" + gauge + " "));
  }
  CHECK(metrics.process_open_fds.with({}).value() >= 3);
}

TEST_CASE("an info gauge keeps exactly one series") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  metrics.policy_info.set_only({"aaaa"}, 1);
  metrics.policy_info.set_only({"bbbb"}, 1);
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("firewarden_policy_info{sha256=\"bbbb\"} 1\n"));
  CHECK_THAT(text, !Catch::Contains("aaaa"));
  metrics.policy_info.set_only({"bbbb"}, 1);
  int series = 0;
  metrics.policy_info.for_each([&](const auto&, const auto& gauge) {
    ++series;
    CHECK(gauge.value() == 1);
  });
  CHECK(series == 1);
  CHECK_THROWS(metrics.policy_info.set_only({}, 1));
}
