// Graceful shutdown (SPEC §11) of the real binary: readiness 503 at once,
// serving on for shutdown_delay, then the listener closed, in-flight requests
// finished within shutdown_grace, idle keep-alive connections closed, exit 0;
// a second signal exits at once. The in-flight request is held by an
// upstream the test controls, so nothing depends on timing luck.
#include <catch2/catch.hpp>
#include <csignal>

#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/scripted_upstream.hpp"

using namespace firewarden::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace {

HttpRequestSpec get(const FirewardenInstance& fw, const std::string& path) {
  return {"GET", fw.documents() + "/" + path, {}, {}};
}

bool refuses_connections(const FirewardenInstance& fw) {
  const auto response = fw.request(get(fw, "orders/late"));
  return response.status == 0 && response.error.starts_with("connect");
}

long long ms_since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start).count();
}

// The part every graceful stop shares, after `stop` was triggered at `t0`
// with one request held upstream on `in_flight` and `idle` open and idle.
void check_graceful_stop(FirewardenInstance& fw, ScriptedUpstream& upstream,
                         PersistentConnection& in_flight, PersistentConnection& idle,
                         steady_clock::time_point t0, milliseconds shutdown_delay) {
  // Readiness turns 503 at once.
  REQUIRE(eventually([&] { return fw.admin("/readyz").status == 503; }, seconds(1)));
  const auto ready_ms = ms_since(t0);
  WARN("readiness 503 after " << ready_ms << " ms");
  CHECK_THAT(fw.admin("/readyz").body, Catch::Contains("draining"));
  // Still serving new connections during shutdown_delay.
  if (ms_since(t0) < shutdown_delay.count() / 2) {
    CHECK(fw.request(get(fw, "orders/during-delay")).status == 200);
  } else {
    WARN("machine too slow to probe within shutdown_delay; probe skipped");
  }
  // Then the listener closes: new connections are refused.
  REQUIRE(eventually([&] { return refuses_connections(fw); }, shutdown_delay + seconds(3)));
  const auto refused_ms = ms_since(t0);
  WARN("new connections refused after " << refused_ms << " ms (shutdown_delay "
                                        << shutdown_delay.count() << " ms)");
  CHECK(refused_ms >= shutdown_delay.count() - 50);
  // Idle keep-alive connections are closed by the server.
  CHECK(idle.closed_by_peer(seconds(3)));
  // The in-flight request is still being waited for, not cut.
  CHECK(fw.process().running());
  CHECK(upstream.held() == 1);

  upstream.release();
  const auto response = in_flight.receive(seconds(5));
  CHECK(response.status == 200);
  CHECK_THAT(response.body, Catch::Contains("/documents/orders/o1/held/h1"));
  CHECK(fw.process().wait_for_exit(seconds(5)) == 0);
  CHECK_THAT(fw.logs(), Catch::Contains("stopped"));
}

}  // namespace

// An instance with shutdown_delay 1.5 s, one idle keep-alive connection and
// one request held upstream. `extra`: more config (e.g. `threads: 1`, where
// connections run on the io_context's executor instead of strands).
struct Draining {
  static constexpr milliseconds kDelay{1500};
  ScriptedUpstream upstream;
  FirewardenInstance fw;
  PersistentConnection idle{fw.port()};
  PersistentConnection in_flight{fw.port()};

  explicit Draining(const std::string& extra = "")
      : fw({.upstream = upstream.url(),
            .limits = "{shutdown_delay: 1500ms, shutdown_grace: 10s}",
            .extra = extra}) {
    REQUIRE(idle.request(get(fw, "orders/o1")).status == 200);
    REQUIRE(in_flight.send(get(fw, "orders/o1/held/h1")));
    REQUIRE(eventually([&] { return upstream.held() == 1; }, seconds(5)));
  }
};

TEST_CASE("shutdown: SIGTERM drains, an in-flight slow request completes, exit 0") {
  Draining d;
  const auto t0 = steady_clock::now();
  d.fw.process().signal(SIGTERM);
  check_graceful_stop(d.fw, d.upstream, d.in_flight, d.idle, t0, Draining::kDelay);
}

TEST_CASE("shutdown: POST /quitquitquit drains the same way (threads: 1)") {
  Draining d("threads: 1\n");
  const auto t0 = steady_clock::now();
  REQUIRE(d.fw.admin("/quitquitquit", "POST").status == 200);
  check_graceful_stop(d.fw, d.upstream, d.in_flight, d.idle, t0, Draining::kDelay);
}

TEST_CASE("shutdown: /quitquitquit only by POST, and only when enabled") {
  FirewardenInstance fw;
  CHECK(fw.admin("/quitquitquit", "GET").status == 405);
  CHECK(fw.admin("/readyz").status == 200);
  CHECK(fw.process().running());
}

TEST_CASE("shutdown: a second SIGTERM exits at once, non-zero") {
  ScriptedUpstream upstream;
  FirewardenInstance fw(
      {.upstream = upstream.url(), .limits = "{shutdown_delay: 10s, shutdown_grace: 30s}"});
  PersistentConnection in_flight(fw.port());
  REQUIRE(in_flight.send(get(fw, "orders/o1/held/h1")));
  REQUIRE(eventually([&] { return upstream.held() == 1; }, seconds(5)));
  fw.process().signal(SIGTERM);
  REQUIRE(eventually([&] { return fw.admin("/readyz").status == 503; }, seconds(2)));
  const auto t0 = steady_clock::now();
  fw.process().signal(SIGTERM);
  const auto code = fw.process().wait_for_exit(seconds(2));
  REQUIRE(code);
  CHECK(*code != 0);
  WARN("second SIGTERM: exit " << *code << " after " << ms_since(t0) << " ms");
  CHECK(ms_since(t0) < 1000);
}

TEST_CASE("shutdown: a request longer than shutdown_grace is cut, and the process still ends") {
  ScriptedUpstream upstream;
  FirewardenInstance fw(
      {.upstream = upstream.url(), .limits = "{shutdown_delay: 0s, shutdown_grace: 1s}"});
  PersistentConnection in_flight(fw.port());
  REQUIRE(in_flight.send(get(fw, "orders/o1/held/h1")));
  REQUIRE(eventually([&] { return upstream.held() == 1; }, seconds(5)));
  const auto t0 = steady_clock::now();
  fw.process().signal(SIGTERM);
  CHECK(fw.process().wait_for_exit(seconds(5)) == 0);
  const auto ended_ms = ms_since(t0);
  WARN("stopped " << ended_ms << " ms after SIGTERM with shutdown_grace 1 s");
  CHECK(ended_ms >= 900);
  CHECK(in_flight.receive(seconds(2)).status == 0);  // cut, no response
  CHECK_THAT(fw.logs(), Catch::Contains("shutdown_grace over"));
}
