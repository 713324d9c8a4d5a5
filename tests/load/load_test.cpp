// Resource bounds under a bounded load (issue 7): the real binary on
// loopback, in fixed-identity mode, against a scripted upstream that answers
// at once. Reports (and bounds, generously) the daemon's RSS, file
// descriptors, threads and open connections:
//   after a warm-up, after 100k requests over keep-alive connections, with
//   5,000 idle keep-alive connections, and after they have closed.
// Timing is reported, never asserted (DESIGN.md: performance is measured by
// bench/); every wait is bounded.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fault_upstream.hpp"
#include "support/firewarden_instance.hpp"

using namespace firewarden::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kWarmupRequests = 5'000;
constexpr int kRequests = 100'000;
constexpr int kLoadConnections = 8;
constexpr int kIdleConnections = 5'000;

struct Sample {
  long rss_kib = 0;
  int fds = 0;
  int threads = 0;
  double connections = 0;
};

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int count_entries(const std::string& directory) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
  return count;
}

double connections_active(const FirewardenInstance& fw) {
  const std::string text = fw.admin("/metrics").body;
  const std::string name = "\nfirewarden_connections_active ";
  const auto at = text.find(name);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size()));
}

Sample sample(const FirewardenInstance& fw, pid_t pid) {
  Sample s;
  s.rss_kib = rss_kib(pid);
  s.fds = count_entries("/proc/" + std::to_string(pid) + "/fd");
  s.threads = count_entries("/proc/" + std::to_string(pid) + "/task");
  s.connections = connections_active(fw);
  return s;
}

void report(const char* phase, const Sample& s) {
  std::printf("load: %-34s RSS %7.1f MiB  fds %5d  threads %2d  connections_active %5.0f\n", phase,
              static_cast<double>(s.rss_kib) / 1024, s.fds, s.threads, s.connections);
  std::fflush(stdout);
}

// Reads one response (head + Content-Length body) from a blocking socket;
// true when it is a 200.
bool read_response(int fd, std::string& pending) {
  for (;;) {
    const auto head_end = pending.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto at = pending.find("Content-Length: ");
      if (at == std::string::npos || at > head_end) return false;
      const std::size_t length = std::stoul(pending.substr(at + 16));
      if (pending.size() >= head_end + 4 + length) {
        const bool ok = pending.rfind("HTTP/1.1 200", 0) == 0;
        pending.erase(0, head_end + 4 + length);
        return ok;
      }
    }
    const std::string more = receive_for(fd, 1, 10s);
    if (more.empty()) return false;
    pending += more;
  }
}

// `total` requests over `connections` keep-alive connections, one thread
// each, one request in flight per connection. Returns how many were 200.
int run_load(const FirewardenInstance& fw, int total, int connections) {
  const std::string request =
      "GET " + fw.documents() + "/orders/o1 HTTP/1.1\r\nHost: firestore\r\n\r\n";
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int c = 0; c < connections; ++c) {
    workers.emplace_back([&, share = total / connections + (c < total % connections ? 1 : 0)] {
      const int fd = connect_loopback(fw.port());
      std::string pending;
      for (int i = 0; i < share; ++i) {
        if (!send_all(fd, request) || !read_response(fd, pending)) break;
        ++ok;
      }
      ::close(fd);
    });
  }
  for (auto& worker : workers) worker.join();
  return ok;
}

void raise_fd_limit() {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;  // inherited by the daemon
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  // 5,000 client sockets here, as many in the daemon, and some slack.
  REQUIRE(limit.rlim_cur >= static_cast<rlim_t>(kIdleConnections + 1'000));
}

}  // namespace

TEST_CASE("memory, descriptors, threads and connections stay bounded") {
  raise_fd_limit();
  FaultUpstream upstream;
  InstanceOptions options;
  options.upstream = upstream.url();
  options.limits = "{max_connections: 10000, shutdown_grace: 3s}";
  options.extra = "threads: 2\n";
  options.stdout_path = "/dev/null";  // 100k access lines, written and discarded
  FirewardenInstance fw(options);
  const pid_t pid = fw.process().pid();

  const auto start = Clock::now();
  REQUIRE(run_load(fw, kWarmupRequests, kLoadConnections) == kWarmupRequests);
  REQUIRE(eventually([&] { return connections_active(fw) == 0; }, 10s));
  const Sample warm = sample(fw, pid);
  report("after warm-up (5k requests)", warm);

  const auto load_start = Clock::now();
  const int served = run_load(fw, kRequests, kLoadConnections);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  CHECK(served == kRequests);
  REQUIRE(eventually([&] { return connections_active(fw) == 0; }, 10s));
  const Sample loaded = sample(fw, pid);
  report("after 100k requests", loaded);
  std::printf("load: 100k requests over %d connections in %.1f s (%.0f/s)\n", kLoadConnections,
              load_seconds, kRequests / load_seconds);

  // Memory stays flat once warm; nothing else grows at all.
  CHECK(loaded.rss_kib - warm.rss_kib < 20 * 1024);
  CHECK(loaded.threads == warm.threads);
  CHECK(eventually([&] { return sample(fw, pid).fds <= warm.fds; }, 10s));

  // 5,000 idle keep-alive connections, each after one request.
  std::vector<int> idle;
  idle.reserve(kIdleConnections);
  const std::string request =
      "GET " + fw.documents() + "/orders/o1 HTTP/1.1\r\nHost: firestore\r\n\r\n";
  int idle_ok = 0;
  for (int i = 0; i < kIdleConnections; ++i) {
    const int fd = connect_loopback(fw.port());
    idle.push_back(fd);
    std::string pending;
    if (send_all(fd, request) && read_response(fd, pending)) ++idle_ok;
  }
  CHECK(idle_ok == kIdleConnections);
  CHECK(eventually([&] { return connections_active(fw) == kIdleConnections; }, 10s));
  const Sample with_idle = sample(fw, pid);
  report("with 5,000 idle keep-alive conns", with_idle);
  std::printf("load: %.1f KiB of RSS per idle connection\n",
              static_cast<double>(with_idle.rss_kib - loaded.rss_kib) / kIdleConnections);
  CHECK(with_idle.threads == warm.threads);
  // One socket each, no more (the upstream pool may hold a few fewer idle
  // connections than after the 8-connection load).
  CHECK(with_idle.fds >= warm.fds + kIdleConnections - kLoadConnections);
  CHECK(with_idle.fds <= warm.fds + kIdleConnections + 16);
  CHECK(with_idle.rss_kib - loaded.rss_kib < 256 * 1024);

  for (const int fd : idle) ::close(fd);
  CHECK(eventually([&] { return connections_active(fw) == 0; }, 20s));
  CHECK(eventually([&] { return sample(fw, pid).fds <= warm.fds; }, 20s));
  const Sample closed = sample(fw, pid);
  report("after they closed", closed);
  CHECK(closed.threads == warm.threads);
  std::printf("load: whole test %.1f s\n",
              std::chrono::duration<double>(Clock::now() - start).count());

  // Still serving, and stops cleanly.
  CHECK(run_load(fw, 100, 1) == 100);
  CHECK(fw.stop(10s) == 0);
}
