// Overload (limits.overload_threshold_percent) and the connection counters
// through the real binary: a slowloris attack (100 connections that send a
// request head one byte at a time and never finish it) against
// max_connections 60 and a 30 s header_timeout. Above 48 open connections
// the timeouts are cut to a tenth (3 s), so attackers are cut off long
// before 30 s, the slots they held come free, and legitimate requests that
// retry get through; firewarden_connections_* count what happened. Then
// each other reason a connection is closed for, through the socket: a
// keep-alive connection left idle, a TLS handshake never begun, one that
// fails.
#include <unistd.h>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "support/fault_upstream.hpp"
#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/prometheus_text.hpp"

using namespace firewarden::testing;
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kAttackers = 100;
// One byte of an endless header field every this long per attacker.
constexpr auto kDrip = std::chrono::milliseconds(200);
// An attacker whose connection was closed (or refused) connects again after this.
constexpr auto kReconnect = std::chrono::milliseconds(100);

// One slowloris client: connects, sends the start of a request head, then
// one byte of a header field per kDrip, never the end of the head. When
// the server closed the connection (a write fails), it connects again.
asio::awaitable<void> slowloris(unsigned short port, const std::atomic<bool>& stop) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  const std::string start =
      "GET /v1/projects/p/databases/(default)/documents/orders/o1 HTTP/1.1\r\n"
      "Host: firewarden\r\nX-Slow: ";
  while (!stop) {
    tcp::socket socket(executor);
    auto [connect_error] = co_await socket.async_connect({asio::ip::address_v4::loopback(), port},
                                                         asio::as_tuple(asio::use_awaitable));
    auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(start),
                                                             asio::as_tuple(asio::use_awaitable));
    bool open = !connect_error && !write_error;
    while (open && !stop) {
      pause.expires_after(kDrip);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      auto [drip_error, dripped] = co_await asio::async_write(socket, asio::buffer("a", 1),
                                                              asio::as_tuple(asio::use_awaitable));
      open = !drip_error;
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    pause.expires_after(kReconnect);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// The attack on its own thread, stopped (bounded) when it goes out of scope.
class Attack {
 public:
  explicit Attack(unsigned short port) {
    for (int i = 0; i < kAttackers; ++i)
      asio::co_spawn(io_, slowloris(port, stop_), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Attack() {
    stop_ = true;
    // Every attacker notices within one drip; the io_context is stopped
    // anyway after a bound, so the test never hangs here.
    asio::steady_timer bound(io_, std::chrono::seconds(3));
    bound.async_wait([this](const boost::system::error_code&) { io_.stop(); });
    thread_.join();
  }
  Attack(const Attack&) = delete;
  Attack& operator=(const Attack&) = delete;

 private:
  asio::io_context io_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double metric(FirewardenInstance& fw, const std::string& name,
              const prometheus::Labels& labels = {}) {
  const auto response = fw.admin("/metrics");
  REQUIRE(response.status == 200);
  const auto parsed = prometheus::parse(response.body);
  if (const auto* error = std::get_if<std::string>(&parsed)) FAIL(*error);
  const auto* family = std::get<prometheus::Exposition>(parsed).family(name);
  REQUIRE(family != nullptr);
  for (const auto& sample : family->samples) {
    if (sample.labels == labels) return sample.value;
  }
  FAIL("no " << name << " sample with the labels asked for");
  return 0;
}

}  // namespace

TEST_CASE("overload: slowloris beyond max_connections, legitimate requests still get through") {
  InstanceOptions options;
  options.limits =
      "{max_connections: 60, header_timeout: 30s, idle_timeout: 60s, "
      "overload_threshold_percent: 80, shutdown_grace: 3s}";
  FirewardenInstance fw(options);
  emulator_put(fw.options().project, "orders/o1", R"({"n":{"integerValue":"1"}})");
  const prometheus::Labels header_timeout{{"reason", "header_timeout"}};
  const prometheus::Labels max_connections{{"reason", "max_connections"}};
  // Every reason is exported from the start (0 until it happens).
  CHECK(metric(fw, "firewarden_connections_closed_total", header_timeout) == 0);
  CHECK(metric(fw, "firewarden_connections_refused_total", max_connections) == 0);

  const auto attack_started = Clock::now();
  Attack attack(fw.port());

  // The cap fills: connections beyond it are refused (bounded wait).
  const auto fill_deadline = Clock::now() + std::chrono::seconds(15);
  while (metric(fw, "firewarden_connections_refused_total", max_connections) == 0 &&
         Clock::now() < fill_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(metric(fw, "firewarden_connections_refused_total", max_connections) > 0);

  // Attackers are cut off at the reduced header timeout (3 s), long before
  // the configured 30 s: those that were waiting when overload began too.
  while (metric(fw, "firewarden_connections_closed_total", header_timeout) == 0 &&
         Clock::now() < attack_started + std::chrono::seconds(25)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(metric(fw, "firewarden_connections_closed_total", header_timeout) > 0);

  // Legitimate requests, each retried while its connection is refused, all
  // answered within a bound (far below the 30 s header_timeout that would
  // hold every slot without the overload response).
  constexpr int kRequests = 10;
  for (int i = 0; i < kRequests; ++i) {
    CAPTURE(i);
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    HttpResponse response;
    int attempts = 0;
    while (Clock::now() < deadline) {
      ++attempts;
      response = fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
      if (response.status != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CAPTURE(attempts, response.error);
    REQUIRE(response.status == 200);
    CHECK_THAT(response.body, Catch::Contains("orders/o1"));
  }

  CHECK(metric(fw, "firewarden_connections_accepted_total") >= 60 + kRequests);
  CHECK(metric(fw, "firewarden_connections_active") <= 60);
}

TEST_CASE("connection counters: a keep-alive connection left idle is closed at idle_timeout") {
  InstanceOptions options;
  options.limits = "{idle_timeout: 1s, shutdown_grace: 3s}";
  FirewardenInstance fw(options);
  emulator_put(fw.options().project, "orders/o1", R"({"n":{"integerValue":"1"}})");
  const double accepted = metric(fw, "firewarden_connections_accepted_total");

  PersistentConnection connection(fw.port());
  REQUIRE(connection.connected());
  REQUIRE(connection.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  const auto answered = Clock::now();
  CHECK(connection.closed_by_peer(std::chrono::seconds(5)));
  CHECK(Clock::now() - answered >= std::chrono::milliseconds(900));

  CHECK(metric(fw, "firewarden_connections_closed_total", {{"reason", "idle_timeout"}}) == 1);
  CHECK(metric(fw, "firewarden_connections_closed_total", {{"reason", "header_timeout"}}) == 0);
  CHECK(metric(fw, "firewarden_connections_accepted_total") == accepted + 1);
}

TEST_CASE("connection counters: TLS handshakes that time out or fail are closed and counted") {
  InstanceOptions options;
  options.mode = "mtls";
  options.limits = "{header_timeout: 1s, shutdown_grace: 3s}";
  FirewardenInstance fw(options);
  const auto closed = [&](const std::string& reason) {
    return metric(fw, "firewarden_connections_closed_total", {{"reason", reason}});
  };
  const auto failed = [&](const std::string& reason) {
    return metric(fw, "firewarden_tls_handshake_failures_total", {{"reason", reason}});
  };

  // A client that connects and never says hello holds its slot for
  // header_timeout, then the connection is closed.
  const int silent = connect_loopback(fw.port());
  const auto connected = Clock::now();
  CHECK(receive_for(silent, 1, std::chrono::seconds(5)).empty());  // closed, nothing sent
  CHECK(Clock::now() - connected >= std::chrono::milliseconds(900));
  CHECK(Clock::now() - connected < std::chrono::seconds(5));
  ::close(silent);
  CHECK(eventually([&] { return closed("tls_handshake_timeout") == 1; }, std::chrono::seconds(5)));
  CHECK(failed("timeout") == 1);

  // A certificate from an unknown CA fails the handshake.
  const auto rogue =
      fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}, client_tls("rogue"));
  CHECK(rogue.status == 0);
  CHECK(eventually([&] { return closed("tls_handshake_failure") == 1; }, std::chrono::seconds(5)));
  CHECK(failed("unknown_ca") == 1);

  // Neither is a header or idle timeout, and a good client is served.
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}, client_tls("orders")).status ==
        404);
  CHECK(closed("header_timeout") == 0);
  CHECK(closed("idle_timeout") == 0);
  CHECK(closed("tls_handshake_timeout") == 1);
  CHECK(metric(fw, "firewarden_connections_accepted_total") >= 3);
}
