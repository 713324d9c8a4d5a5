// HTTP/2 attacks on the real binary against the emulator: raw frames
// (tests/support/h2_frames.hpp) that no real client sends on purpose. Each
// ends the way docs/configuration.md and docs/operations.md say (GOAWAY with
// its error code, 431, a reset stream), is counted in
// firewarden_connections_closed_total, and a Firestore call it carried
// reached the emulator only as far as the limits allow (checked there
// directly).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/admin_views.hpp"
#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/h2_frames.hpp"
#include "support/h2_grpc_frames.hpp"

using namespace firewarden::testing;
using namespace std::chrono_literals;
namespace raw = firewarden::testing::h2;

namespace {

// RFC 9113 §7.
constexpr std::uint32_t kNoError = 0x0;
constexpr std::uint32_t kProtocolError = 0x1;
constexpr std::uint32_t kCancel = 0x8;
constexpr std::uint32_t kEnhanceYourCalm = 0xb;

// Tight limits, so an attack trips them in a few hundred frames.
InstanceOptions tight_limits() {
  InstanceOptions options;
  options.limits =
      "{shutdown_grace: 3s, idle_timeout: 1s, max_header_bytes: 4096,"
      " http2: {reset_budget: 10, control_frame_budget: 100}}";
  return options;
}

double closed(const FirewardenInstance& fw, const std::string& reason) {
  return metric_value(fw, "firewarden_connections_closed_total", {{"reason", reason}});
}

// The names of the documents in `collection`, read from the emulator.
std::vector<std::string> emulator_documents(const FirewardenInstance& fw,
                                            const std::string& collection) {
  const auto listed = emulator_get(fw.options().project, collection);
  REQUIRE(listed.status == 200);
  std::vector<std::string> names;
  const auto body = nlohmann::json::parse(listed.body);
  for (const auto& document : body.value("documents", nlohmann::json::array())) {
    names.push_back(document.at("name").get<std::string>());
  }
  return names;
}

}  // namespace

TEST_CASE(
    "http2 attacks: rapid reset ends the connection, and nothing past its GOAWAY is forwarded") {
  FirewardenInstance fw(tight_limits());
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open());
  // Each stream an allowed Commit of its own document, reset at once.
  std::string attack;
  for (std::uint32_t stream = 1; stream < 400; stream += 2) {
    attack += raw::grpc_call_frames(stream, "Commit",
                                    commit_update(fw, "orders/rr-" + std::to_string(stream)));
    attack += raw::rst_stream(stream, kCancel);
  }
  const auto ending = raw::send_until_closed(connection, attack);
  REQUIRE(ending.closed);
  REQUIRE(ending.goaway);
  CHECK(ending.code == kEnhanceYourCalm);
  CHECK(eventually([&] { return closed(fw, "http2_rapid_reset") == 1; }, 5s));
  // At most the budget (and the stream that spent it) was worked on, and
  // none the GOAWAY says were not processed.
  const auto last = raw::goaway_last_stream(*ending.goaway);
  CHECK(last < 2 * 12);
  const auto written = emulator_documents(fw, "orders");
  CHECK(written.size() <= 11);
  for (const auto& name : written) {
    const auto stream = std::stoul(name.substr(name.rfind("/rr-") + 4));
    CHECK(stream <= last);
  }
}

TEST_CASE("http2 attacks: a CONTINUATION flood ends the connection before the call is read") {
  FirewardenInstance fw(tight_limits());
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open());
  std::string attack = raw::frame(raw::kHeaders, 0, 1, raw::grpc_headers("Commit"));
  for (int i = 0; i < 50; ++i) {
    attack += raw::frame(raw::kContinuation, 0, 1, raw::literal("x-filler", "f"));
  }
  attack += raw::frame(raw::kContinuation, raw::kEndHeaders, 1, raw::literal("x-end", "e"));
  attack += raw::frame(raw::kData, raw::kEndStream, 1,
                       firewarden::firestore::grpc_frame(commit_update(fw, "orders/cf")));
  const auto ending = raw::send_until_closed(connection, attack);
  CHECK(ending.closed);
  CHECK(ending.code == kEnhanceYourCalm);
  CHECK(eventually([&] { return closed(fw, "http2_flood") == 1; }, 5s));
  CHECK(emulator_get(fw.options().project, "orders/cf").status == 404);
}

TEST_CASE("http2 attacks: SETTINGS, PING and WINDOW_UPDATE floods end the connection") {
  const auto flood = GENERATE(as<std::string>{}, "settings", "ping", "window update");
  CAPTURE(flood);
  FirewardenInstance fw(tight_limits());
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open());
  std::string attack;
  for (int i = 0; i < 1000; ++i) {
    if (flood == "settings") attack += raw::settings({});
    if (flood == "ping") attack += raw::frame(raw::kPing, 0, 0, std::string(8, 'p'));
    if (flood == "window update") attack += raw::window_update(0, 1);
  }
  const auto ending = raw::send_until_closed(connection, attack);
  CHECK(ending.closed);
  CHECK(ending.code == kEnhanceYourCalm);
  CHECK(eventually([&] { return closed(fw, "http2_flood") == 1; }, 5s));
}

TEST_CASE("http2 attacks: an oversized header list or an HPACK bomb is answered 431, unforwarded") {
  FirewardenInstance fw(tight_limits());  // max_header_bytes: 4096
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open());
  std::string block = raw::grpc_headers("Commit");
  std::string path;
  SECTION("one large header field") {
    block += raw::literal("x-big", std::string(5000, 'b'));
    path = "orders/big";
  }
  SECTION("an HPACK bomb: one table entry of 900 bytes referenced a thousand times") {
    block += raw::indexed_literal("x-bomb", std::string(900, 'a'));
    for (int i = 0; i < 1000; ++i) block += raw::indexed(62);
    path = "orders/bomb";
  }
  REQUIRE(block.size() < 16384);  // one frame: what is large is the decoded list
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders, 1, block) +
                          raw::frame(raw::kData, raw::kEndStream, 1,
                                     firewarden::firestore::grpc_frame(commit_update(fw, path)))));
  CHECK(raw::response_status(connection) == "431");
  CHECK(emulator_get(fw.options().project, path).status == 404);
  // Logged and counted like a head too large on HTTP/1.1 (the line and the
  // counter say 400, INVALID_ARGUMENT, as there).
  CHECK(eventually(
      [&] {
        return metric_value(fw, "firewarden_requests_total", {{"code", "400"}}) == 1;
      },
      5s));
  // (the line is written just after the count: wait for it too)
  const std::string refusal = "request header fields too large";
  REQUIRE(eventually([&] { return fw.access_log().find(refusal) != std::string::npos; }, 5s));
  const auto log = fw.access_log();
  CHECK(log.find(refusal, log.find(refusal) + 1) == std::string::npos);
  // The connection itself stays usable: a well-formed call on it goes through.
  REQUIRE(connection.send(raw::grpc_call_frames(3, "Commit", commit_update(fw, "orders/after"))));
  CHECK(raw::response_status(connection, 3) == "200");
  CHECK(eventually([&] { return emulator_get(fw.options().project, "orders/after").status == 200; },
                   5s));
}

TEST_CASE("http2 attacks: a RunQuery reader that never opens its window gets a reset stream") {
  FirewardenInstance fw(tight_limits());  // idle_timeout 1s: how long a write may wait
  emulator_put(fw.options().project, "orders/w1", R"({"total":{"integerValue":"1"}})");
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open({{0x4 /* SETTINGS_INITIAL_WINDOW_SIZE */, 0}}));
  REQUIRE(connection.send(raw::grpc_call_frames(1, "RunQuery", run_query(fw, "orders"))));
  std::optional<raw::Frame> reset;
  std::size_t data_bytes = 0;
  const auto started = std::chrono::steady_clock::now();
  while (auto frame = connection.next(10s)) {
    if (frame->type == raw::kData) data_bytes += frame->payload.size();
    if (frame->type == raw::kRstStream && frame->stream == 1) {
      reset = frame;
      break;
    }
  }
  REQUIRE(reset);
  CHECK(raw::get32(reset->payload, 0) == kCancel);
  CHECK(data_bytes == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // Without a stream the connection idles out (idle_timeout) with a polite GOAWAY.
  const auto ending = raw::send_until_closed(connection, {}, 5s);
  CHECK(ending.closed);
  CHECK(ending.code == kNoError);
  CHECK(eventually([&] { return closed(fw, "idle_timeout") == 1; }, 5s));
}

TEST_CASE("http2 attacks: a garbage preface is refused and nothing is forwarded") {
  FirewardenInstance fw(tight_limits());
  SECTION("a preface that differs from RFC 9113's: 400, as a malformed HTTP/1.1 request") {
    raw::RawConnection connection(fw.port());
    REQUIRE(connection.connected());
    connection.send("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" +
                    raw::grpc_call_frames(1, "Commit", commit_update(fw, "orders/gp")));
    std::vector<raw::Frame> ignored;
    connection.read_until_closed(ignored, 5s);
    CHECK(connection.closed());
    CHECK(connection.unparsed().starts_with("HTTP/1.1 400"));
  }
  SECTION("the preface, then no SETTINGS: GOAWAY PROTOCOL_ERROR") {
    raw::RawConnection connection(fw.port());
    REQUIRE(connection.connected());
    const auto ending = raw::send_until_closed(
        connection, std::string(raw::kPreface) +
                        raw::grpc_call_frames(1, "Commit", commit_update(fw, "orders/gp")));
    CHECK(ending.closed);
    CHECK(ending.code == kProtocolError);
    CHECK(eventually([&] { return closed(fw, "http2_protocol_error") == 1; }, 5s));
  }
  CHECK(emulator_get(fw.options().project, "orders/gp").status == 404);
}
