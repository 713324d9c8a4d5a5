// Faults (issue 7, docs/faults.md): broken dependencies and broken clients,
// tested against the running binary. Each case states what the client sees,
// that nothing hangs (every wait is bounded and timed), and that the proxy
// recovers or keeps its last good state.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fake_google/fake_google.hpp"
#include "support/fault_upstream.hpp"
#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The same, and payments too.
constexpr const char* kOrdersAndPaymentsPolicy =
    "version: 1\nrules:\n  - name: orders-read\n    subjects: {namespaces: [orders]}\n"
    "    collections: [orders, payments]\n    actions: [read]\n";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --- observing the daemon ---------------------------------------------------

// The value of an unlabelled (or exactly labelled) metric line, -1 if absent.
double metric(const FirewardenInstance& fw, const std::string& name_and_labels) {
  const std::string text = fw.admin("/metrics").body;
  std::size_t at = 0;
  while ((at = text.find(name_and_labels + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::stod(text.substr(at + name_and_labels.size() + 1));
    }
    at += name_and_labels.size();
  }
  return -1;
}

// The sum of every line of metric family `prefix` that contains `needle`.
double metric_sum(const FirewardenInstance& fw, const std::string& prefix,
                  const std::string& needle) {
  const std::string text = fw.admin("/metrics").body;
  double sum = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0 && line.find(needle) != std::string::npos) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    start = end + 1;
  }
  return sum;
}

// Runs scripts/emulator (start|stop) DIR; its stdout (the port for start).
std::string emulator_script(const std::string& command, const TempDir& state) {
  const std::string out = state.path() + "/" + command + ".out";
  ChildProcess script({std::string(FIREWARDEN_SOURCE_DIR) + "/scripts/emulator", command,
                       state.path() + "/emulator"},
                      out, state.path() + "/" + command + ".err");
  const auto exit_code = script.wait_for_exit(90s);
  REQUIRE(exit_code == 0);
  std::ifstream in(out);
  std::string first_line;
  std::getline(in, first_line);
  return first_line;
}

int open_fds(pid_t pid) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++count;
  }
  return count;
}

// The Google error status ("UNAVAILABLE", …) of an error response, or "".
std::string error_status(const HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body["error"].is_object() || !body["error"]["status"].is_string()) {
    return "";
  }
  return body["error"]["status"].get<std::string>();
}

// GET orders/o1 (allowed by the policies here), timed.
HttpResponse get_order(const FirewardenInstance& fw, double& seconds) {
  const auto begin = Clock::now();
  auto response = fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
  seconds = seconds_since(begin);
  return response;
}

// Writes `content` beside `name` and renames it into place: readers see the
// old file or the new one, never a partial one.
void replace_file(const TempDir& dir, const std::string& name, const std::string& content) {
  const std::string staged = dir.write(name + ".staged", content);
  std::filesystem::rename(staged, dir.path() + "/" + name);
}

json status_of(const FirewardenInstance& fw) {
  return json::parse(fw.admin("/status").body, nullptr, false);
}

std::string raw_get(const FirewardenInstance& fw, const std::string& path) {
  return "GET " + fw.documents() + "/" + path + " HTTP/1.1\r\nHost: firestore\r\n\r\n";
}

}  // namespace

// --- upstream faults ---------------------------------------------------------

TEST_CASE("faults: upstream dying mid-body truncates the response at once, the pool recovers") {
  FaultUpstream upstream;
  InstanceOptions options;
  options.upstream = upstream.url();
  FirewardenInstance fw(options);
  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);

  upstream.set_mode(FaultUpstream::Mode::die_mid_body);
  const auto started = Clock::now();
  const std::string answer = raw_exchange(fw.port(), raw_get(fw, "orders/o1"), 8s);
  const double took = seconds_since(started);
  // The status line was already out: the only honest signal left is a body
  // shorter than announced and a closed connection, promptly (raw_exchange
  // returns when firewarden closes; its own timeout is 8 s).
  CHECK(took < 4.0);
  REQUIRE_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(answer, Catch::Contains("Content-Length: 100000"));
  const auto body_at = answer.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  CHECK(answer.size() - body_at - 4 < 100000);
  CHECK(eventually(
      [&] { return fw.logs().find("upstream failed mid-response") != std::string::npos; }, 5s));

  // Upstream is back: the next requests are answered (the broken connection
  // was never returned to the pool; a fresh one is made, then reused).
  // They share one keep-alive client connection: firewarden returns an
  // upstream connection to the pool once the response is written to the
  // client, so a request on a new client connection, served by another
  // worker thread, may arrive before that and rightly open a second upstream
  // connection. On one client connection the next request is read only
  // after the previous one has finished, its upstream connection back in
  // the pool.
  upstream.set_mode(FaultUpstream::Mode::answer);
  const int accepted_before = upstream.accepted();
  PersistentConnection client(fw.port());
  REQUIRE(client.connected());
  for (int i = 0; i < 3; ++i) {
    const auto response = client.request({"GET", fw.documents() + "/orders/o1", {}, {}});
    CHECK(response.status == 200);
    CHECK(response.body == R"({"name":"scripted"})");
  }
  CHECK(upstream.accepted() - accepted_before <= 1);
  CHECK(fw.process().running());
}

TEST_CASE("faults: the Firestore emulator killed: 502 UNAVAILABLE at once, healthz stays 200") {
  // A private emulator, so killing it does not disturb other tests.
  TempDir state;
  const std::string port = emulator_script("start", state);
  REQUIRE(!port.empty());
  InstanceOptions options;
  options.upstream = "http://127.0.0.1:" + port;
  FirewardenInstance fw(options);
  // Reached the emulator: the document does not exist there.
  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 404);
  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 404);

  emulator_script("stop", state);
  // The pooled connection is stale (closed by the dead emulator): detected
  // before a byte is sent, and the new connect is refused.
  for (int i = 0; i < 3; ++i) {
    double took = 0;
    const auto response = get_order(fw, took);
    CHECK(took < 3.0);
    CHECK(response.status == 502);
    CHECK(error_status(response) == "UNAVAILABLE");
  }
  // A denied request stays 403: never reported as an upstream failure.
  CHECK(fw.request({"GET", fw.documents() + "/payments/p1", {}, {}}).status == 403);
  CHECK(fw.admin("/healthz").status == 200);
  CHECK(fw.process().running());
}

TEST_CASE("faults: a silent upstream is 504 DEADLINE_EXCEEDED at request_timeout") {
  FaultUpstream upstream;
  upstream.set_mode(FaultUpstream::Mode::silent);
  InstanceOptions options;
  options.upstream = upstream.url();
  options.request_timeout = "1s";
  FirewardenInstance fw(options);

  for (int i = 0; i < 2; ++i) {
    double took = 0;
    const auto response = get_order(fw, took);
    CHECK(response.status == 504);
    CHECK(error_status(response) == "DEADLINE_EXCEEDED");
    CHECK(took >= 0.9);
    CHECK(took < 3.0);
  }
  // Answering again: served (the timed-out connections were closed, not pooled).
  upstream.set_mode(FaultUpstream::Mode::answer);
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  // A request is counted once its response is written, which may be just
  // after the client read it: wait (bounded) for the second 504's count.
  CHECK(eventually(
      [&] { return metric_sum(fw, "firewarden_requests_total{", R"(code="504")") == 2; }, 5s));
}

TEST_CASE("faults: an upstream that refuses connections is 502 UNAVAILABLE") {
  InstanceOptions options;
  options.upstream = "http://127.0.0.1:" + std::to_string(free_port());  // nobody listens
  FirewardenInstance fw(options);
  double took = 0;
  const auto response = get_order(fw, took);
  CHECK(took < 3.0);
  CHECK(response.status == 502);
  CHECK(error_status(response) == "UNAVAILABLE");
  CHECK_THAT(response.body, Catch::Contains("unreachable"));
  CHECK(fw.request({"GET", fw.documents() + "/payments/p1", {}, {}}).status == 403);
  // Liveness and readiness do not depend on Firestore (SPEC §8).
  CHECK(fw.admin("/healthz").status == 200);
  CHECK(fw.admin("/readyz").status == 200);
}

// --- token endpoint faults -----------------------------------------------------

namespace {

// Tokens live 20 s; refreshed 16 s before expiry (4 s after issue); never
// used within 10 s of expiry. So a token endpoint that fails from the first
// refresh on leaves the held token usable for about 10 s after issue.
std::string short_token_credentials(const TempDir& dir, FakeGoogleThread& peer,
                                    RecordingUpstream& upstream, InstanceOptions& options) {
  peer.google.set_token_lifetime(20s);
  const std::string file =
      dir.write("credentials.json",
                peer.google.external_account_json(dir.write("subject-token", "eyJ.sub.sig")));
  options.upstream = upstream.url();
  options.firestore_ca_file = cert("ca");
  options.credentials =
      external_account_credentials(file, "refresh_margin: 16s, min_validity: 10s");
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
  return file;
}

// Requests every 250 ms until the first 503; returns seconds from `start` to
// it (or a negative number if none came within `limit`).
double first_unavailable(const FirewardenInstance& fw, Clock::time_point start, double limit) {
  while (seconds_since(start) < limit) {
    double took = 0;
    const auto response = get_order(fw, took);
    // Never held while a refresh runs: answered at once either way.
    CHECK(took < 2.0);
    if (response.status == 503) {
      CHECK(error_status(response) == "UNAVAILABLE");
      return seconds_since(start);
    }
    CHECK(response.status == 200);
    std::this_thread::sleep_for(250ms);
  }
  return -1;
}

}  // namespace

TEST_CASE("faults: STS down: the held token serves until min_validity, then 503 and not ready") {
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"});
  InstanceOptions options;
  short_token_credentials(dir, peer, upstream, options);
  FirewardenInstance fw(options);  // ready: holds a token issued just now
  const auto ready_at = Clock::now();
  peer.google.set_fault(Endpoint::sts, Fault::http_error(503, "backend unavailable"));

  const double unavailable_after = first_unavailable(fw, ready_at, 20);
  REQUIRE(unavailable_after > 0);
  // The refresh fails from ~4 s on; the token was used until ~10 s after
  // issue (start-up took part of that).
  CHECK(unavailable_after > 5.0);
  CHECK(peer.google.count(Endpoint::sts) >= 2);  // the first exchange, then failed refreshes
  const auto readyz = fw.admin("/readyz");
  CHECK(readyz.status == 503);
  CHECK_THAT(readyz.body, Catch::Contains("token"));
  // Policy denials stay 403 during the outage.
  CHECK(fw.request({"GET", fw.documents() + "/payments/p1", {}, {}}).status == 403);
  const auto forwarded = upstream.requests().size();

  // The STS is back: the retry gets a token, ready again, requests served.
  peer.google.clear_faults();
  REQUIRE(eventually([&] { return fw.admin("/readyz").status == 200; }, 30s));
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  CHECK(upstream.requests().size() == forwarded + 1);
}

TEST_CASE("faults: STS slow: the held token serves until min_validity, then 503 without waiting") {
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"});
  InstanceOptions options;
  short_token_credentials(dir, peer, upstream, options);
  FirewardenInstance fw(options);
  const auto ready_at = Clock::now();
  // The refresh hangs (far longer than the token lives).
  peer.google.set_fault(Endpoint::sts, Fault::slow(120s));

  const double unavailable_after = first_unavailable(fw, ready_at, 20);
  REQUIRE(unavailable_after > 0);
  CHECK(unavailable_after > 5.0);
  CHECK(fw.admin("/readyz").status == 503);
  // Requests are not held behind the running refresh: each answers at once.
  for (int i = 0; i < 3; ++i) {
    double took = 0;
    CHECK(get_order(fw, took).status == 503);
    CHECK(took < 1.0);
  }
}

// --- policy file faults --------------------------------------------------------

TEST_CASE(
    "faults: policy file deleted, replaced by a directory or invalid: the last good policy stays") {
  TempDir dir;
  RecordingUpstream upstream;
  InstanceOptions options;
  options.upstream = upstream.url();
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
  FirewardenInstance fw(options);
  const auto orders = HttpRequestSpec{"GET", fw.documents() + "/orders/o1", {}, {}};
  const auto payments = HttpRequestSpec{"GET", fw.documents() + "/payments/p1", {}, {}};
  REQUIRE(fw.request(orders).status == 200);
  REQUIRE(fw.request(payments).status == 403);
  REQUIRE(status_of(fw)["policy"]["generation"] == 1);

  const auto last_error_names_file = [&] {
    const json status = status_of(fw);
    return status["policy"]["last_error"].is_string() &&
           status["policy"]["last_error"].get<std::string>().find(options.policy_file) !=
               std::string::npos;
  };
  const auto decisions_unchanged = [&] {
    CHECK(fw.request(orders).status == 200);
    CHECK(fw.request(payments).status == 403);
    const json status = status_of(fw);
    CHECK(status["policy"]["generation"] == 1);
    CHECK(fw.admin("/readyz").status == 200);
  };

  SECTION("deleted") {
    std::filesystem::remove(options.policy_file);
    REQUIRE(eventually(last_error_names_file, 5s));
    decisions_unchanged();
    CHECK(metric(fw, R"(firewarden_policy_reloads_total{result="failure"})") >= 1);
    CHECK(eventually([&] { return fw.logs().find("cannot read") != std::string::npos; }, 5s));
  }
  SECTION("replaced by a directory") {
    std::filesystem::remove(options.policy_file);
    std::filesystem::create_directory(options.policy_file);
    REQUIRE(eventually(last_error_names_file, 5s));
    decisions_unchanged();
    std::filesystem::remove(options.policy_file);
  }
  SECTION("replaced by an invalid policy") {
    replace_file(dir, "policy.yaml", "version: 1\nrules:\n  - name: [unterminated\n");
    REQUIRE(eventually(last_error_names_file, 5s));
    decisions_unchanged();
  }
  // The same content back (written whole, then renamed into place, as a
  // ConfigMap update does): the error clears, still generation 1.
  replace_file(dir, "policy.yaml", kOrdersReadPolicy);
  REQUIRE(eventually([&] { return status_of(fw)["policy"]["last_error"].is_null(); }, 5s));
  decisions_unchanged();
  // New content: loaded as generation 2.
  replace_file(dir, "policy.yaml", kOrdersAndPaymentsPolicy);
  REQUIRE(eventually([&] { return status_of(fw)["policy"]["generation"] == 2; }, 5s));
  CHECK(fw.request(payments).status == 200);
  // Only the request made under generation 2 reached upstream for payments.
  const auto seen = upstream.requests();
  CHECK(std::count_if(seen.begin(), seen.end(), [](const UpstreamRequest& request) {
          return request.target.find("/payments/") != std::string::npos;
        }) == 1);
}

// --- log destination faults ----------------------------------------------------

TEST_CASE("faults: a full disk for logs drops and counts lines, requests are served") {
  RecordingUpstream upstream;
  InstanceOptions options;
  options.upstream = upstream.url();
  options.stdout_path = "/dev/full";  // every write fails with ENOSPC
  FirewardenInstance fw(options);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  }
  CHECK(eventually(
      [&] { return metric(fw, R"(firewarden_log_lines_dropped_total{stream="access"})") >= 50; },
      5s));
  CHECK(upstream.requests().size() == 50);
}

TEST_CASE("faults: log pipes nobody reads never block requests") {
  TempDir dir;
  const std::string out_fifo = dir.path() + "/stdout.fifo";
  const std::string err_fifo = dir.path() + "/stderr.fifo";
  REQUIRE(::mkfifo(out_fifo.c_str(), 0600) == 0);
  REQUIRE(::mkfifo(err_fifo.c_str(), 0600) == 0);
  // Held open (so the daemon's open succeeds and writes do not fail) and
  // never read: the pipes fill up after 64 KiB.
  const int out_reader = ::open(out_fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  const int err_reader = ::open(err_fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(out_reader >= 0);
  REQUIRE(err_reader >= 0);
  {
    RecordingUpstream upstream;
    InstanceOptions options;
    options.upstream = upstream.url();
    options.stdout_path = out_fifo;
    options.stderr_path = err_fifo;
    FirewardenInstance fw(options);
    // Well past the pipes (64 KiB) and the in-memory queue (1 MiB per
    // stream, ~2,000 access lines).
    const auto begin = Clock::now();
    double slowest = 0;
    int served = 0;
    for (int i = 0; i < 4000; ++i) {
      const auto one = Clock::now();
      served += fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200 ? 1 : 0;
      slowest = std::max(slowest, seconds_since(one));
    }
    INFO("4000 requests in " << seconds_since(begin) << " s, slowest " << slowest << " s");
    CHECK(served == 4000);
    CHECK(slowest < 2.0);
    CHECK(metric(fw, R"(firewarden_log_lines_dropped_total{stream="access"})") >= 1000);
    CHECK(fw.admin("/healthz").status == 200);
    // Stops within its grace even with the log pipes stuck.
    CHECK(fw.stop(10s).has_value());
  }
  ::close(out_reader);
  ::close(err_reader);
}

// --- client faults ----------------------------------------------------------------

TEST_CASE("faults: clients that vanish mid-upload or mid-download leak nothing") {
  FaultUpstream upstream;
  InstanceOptions options;
  options.upstream = upstream.url();
  FirewardenInstance fw(options);
  const pid_t pid = fw.process().pid();
  // Baseline after one complete exchange (the pool then holds one idle
  // upstream connection).
  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  const int baseline_fds = open_fds(pid);
  REQUIRE(eventually([&] { return metric(fw, "firewarden_connections_active") == 0; }, 5s));
  const int requests_before = upstream.requests();

  SECTION("mid-upload") {
    for (int i = 0; i < 20; ++i) {
      const int fd = connect_loopback(fw.port());
      CHECK(send_all(fd, "POST " + fw.documents() +
                             ":commit HTTP/1.1\r\nHost: firestore\r\n"
                             "Content-Type: application/json\r\nContent-Length: 50000\r\n\r\n" +
                             std::string(1000, ' ')));
      std::this_thread::sleep_for(10ms);
      ::close(fd);
    }
    // Nothing of an incomplete request reaches upstream.
    CHECK(upstream.requests() == requests_before);
    // A vanished client is a disconnect, not a malformed request: no 400
    // is answered or counted (Beast's partial_message).
    CHECK(eventually([&] { return metric(fw, "firewarden_connections_active") == 0; }, 10s));
    CHECK(metric_sum(fw, "firewarden_requests_total", "code=\"400\"") == 0);
  }
  SECTION("mid-download") {
    upstream.set_mode(FaultUpstream::Mode::endless_body);
    for (int i = 0; i < 5; ++i) {
      const int fd = connect_loopback(fw.port());
      CHECK(send_all(fd, raw_get(fw, "orders/o1")));
      const std::string got = receive_for(fd, 200000, 5s);
      CHECK(got.size() >= 200000);
      ::close(fd);
    }
    // firewarden dropped each upstream connection once its client was gone.
    CHECK(eventually([&] { return upstream.abandoned_by_reader() == 5; }, 10s));
    upstream.set_mode(FaultUpstream::Mode::answer);
  }
  CHECK(eventually([&] { return metric(fw, "firewarden_connections_active") == 0; }, 10s));
  CHECK(eventually([&] { return open_fds(pid) <= baseline_fds; }, 10s));
  CHECK(status_of(fw)["connections"] == 0);
  // And it still serves.
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
}
