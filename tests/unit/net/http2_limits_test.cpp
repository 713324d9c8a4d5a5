// HTTP/2 limits and attacks on the listener (src/net/http2_session.cpp):
// each ends the way the configuration documents, is counted in
// firewarden_connections_closed_total, and reaches no handler it should
// not. Raw frames (tests/support/h2_frames.hpp): no real client misbehaves
// on purpose.
#include <nghttp2/nghttp2.h>

#include <catch2/catch.hpp>

#include "../../support/h2_frames.hpp"
#include "../../support/process.hpp"
#include "http2_test_server.hpp"

namespace firewarden::transport::test {
namespace {

using namespace std::chrono_literals;
namespace raw = testing::h2;

constexpr std::uint32_t kEnhanceYourCalm = 0xb;
constexpr std::uint32_t kCancel = 0x8;

// Sends `frames` and reads until the server closes; the GOAWAY code it
// sent, if any.
std::optional<std::uint32_t> goaway_after(raw::RawConnection& connection,
                                          const std::string& frames) {
  const auto ending = raw::send_until_closed(connection, frames);
  REQUIRE(ending.closed);
  return ending.code;
}

}  // namespace

TEST_CASE("rapid reset: resets of unanswered streams beyond the budget end the connection") {
  ServerSetup setup;
  setup.limits.reset_budget = 10;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  std::string attack;
  for (std::uint32_t stream = 1; stream < 200; stream += 2) {
    attack += raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, stream,
                         raw::request_block("/slow"));
    attack += raw::rst_stream(stream, kCancel);
  }
  CHECK(goaway_after(connection, attack) == kEnhanceYourCalm);
  CHECK(testing::eventually([&] { return server.closed("http2_rapid_reset") == 1; }, 2s));
  // Work started for at most the budget (and the stream that spent it).
  CHECK(server.handler.streams <= 11);
}

TEST_CASE("a CONTINUATION flood ends the connection before any handler runs") {
  RunningServer server;
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  std::string attack = raw::frame(raw::kHeaders, raw::kEndStream, 1, raw::request_block("/echo"));
  for (int i = 0; i < 50; ++i) {
    attack += raw::frame(raw::kContinuation, 0, 1, raw::literal("x-filler", "f"));
  }
  CHECK(goaway_after(connection, attack) == kEnhanceYourCalm);
  CHECK(testing::eventually([&] { return server.closed("http2_flood") == 1; }, 2s));
  CHECK(server.handler.streams == 0);
}

TEST_CASE("SETTINGS, PING and empty DATA floods end the connection") {
  const auto flood = GENERATE(as<std::string>{}, "settings", "ping", "empty data");
  CAPTURE(flood);
  ServerSetup setup;
  setup.limits.control_frame_budget = 100;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  std::string attack;
  if (flood == "empty data") {
    attack += raw::frame(raw::kHeaders, raw::kEndHeaders, 1, raw::request_block("/echo", "POST"));
  }
  for (int i = 0; i < 1000; ++i) {
    if (flood == "settings") attack += raw::settings({});
    if (flood == "ping") attack += raw::frame(raw::kPing, 0, 0, std::string(8, 'p'));
    if (flood == "empty data") attack += raw::frame(raw::kData, 0, 1);
  }
  CHECK(goaway_after(connection, attack) == kEnhanceYourCalm);
  CHECK(testing::eventually([&] { return server.closed("http2_flood") == 1; }, 2s));
}

TEST_CASE("a WINDOW_UPDATE flood spends the control frame budget") {
  ServerSetup setup;
  setup.limits.control_frame_budget = 100;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  // Increments of 1 on the connection: each a valid frame, none for DATA
  // we sent.
  std::string attack;
  for (int i = 0; i < 1000; ++i) attack += raw::window_update(0, 1);
  CHECK(goaway_after(connection, attack) == kEnhanceYourCalm);
  CHECK(testing::eventually([&] { return server.closed("http2_flood") == 1; }, 2s));
}

TEST_CASE("a client that opens its windows for every DATA frame it reads is not cut off") {
  ServerSetup setup;
  setup.limits.control_frame_budget = 10;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  // A 16 KiB stream window: every DATA frame needs a WINDOW_UPDATE, for
  // the stream and for the connection, before the next can come.
  REQUIRE(connection.open({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16384}}));
  constexpr std::size_t kBody = 200 * 16384;
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/big?" + std::to_string(kBody)))));
  std::size_t received = 0;
  bool ended = false;
  while (!ended) {
    auto frame = connection.next(5s);
    REQUIRE(frame);
    REQUIRE(frame->type != raw::kGoaway);
    if (frame->type != raw::kData) continue;
    received += frame->payload.size();
    ended = (frame->flags & raw::kEndStream) != 0;
    if (!frame->payload.empty()) {
      const auto size = static_cast<std::uint32_t>(frame->payload.size());
      REQUIRE(connection.send(raw::window_update(1, size) + raw::window_update(0, size)));
    }
  }
  CHECK(received == kBody);
  CHECK(server.closed("http2_flood") == 0);
}

TEST_CASE("a header list over max_header_bytes is answered 431 and reaches no handler") {
  ServerSetup setup;
  setup.max_header_bytes = 1024;
  RunningServer server(setup);
  SECTION("a large header field") {
    const auto status = run(
        "curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge -H 'x-big: " +
        std::string(2000, 'b') + "' http://127.0.0.1:" + std::to_string(server.port()) + "/echo");
    CHECK(status == "431");
  }
  SECTION("an HPACK bomb: one table entry referenced a thousand times") {
    raw::RawConnection connection(server.port());
    REQUIRE(connection.open());
    std::string block =
        raw::request_block("/echo") + raw::indexed_literal("x-bomb", std::string(900, 'a'));
    for (int i = 0; i < 1000; ++i) block += raw::indexed(62);
    REQUIRE(
        connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1, block)));
    CHECK(raw::response_status(connection) == "431");
  }
  CHECK(server.handler.streams == 0);
}

TEST_CASE("a peer that never opens its window: the write waits, then the stream is reset") {
  ServerSetup setup;
  setup.idle_timeout = 500ms;  // also how long a write may wait
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}));
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/big?10000000"))));
  std::optional<raw::Frame> reset;
  std::size_t data_bytes = 0;
  while (auto frame = connection.next(5s)) {
    if (frame->type == raw::kData) data_bytes += frame->payload.size();
    if (frame->type == raw::kRstStream) {
      reset = frame;
      break;
    }
  }
  REQUIRE(reset);
  CHECK(raw::get32(reset->payload, 0) == kCancel);
  CHECK(data_bytes == 0);
  CHECK(testing::eventually([&] { return server.handler.big_write_errors == 1; }, 2s));
  // What the handler handed over: one chunk, held while the window stayed shut.
  CHECK(server.handler.big_bytes_written == 0);
}

TEST_CASE("a client that reads nothing holds a bounded response and is cut off") {
  ServerSetup setup;
  setup.idle_timeout = 500ms;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  // Every window wide open, so only TCP holds the response back.
  REQUIRE(connection.open({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0x7fffffff}}));
  REQUIRE(connection.send(raw::window_update(0, 0x7fffffff - 65535) +
                          raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/big?500000000"))));
  CHECK(testing::eventually([&] { return server.closed("http2_write_timeout") == 1; }, 10s));
  CHECK(testing::eventually([&] { return server.handler.big_write_errors == 1; }, 2s));
  // The socket buffers took some; nothing near the 500 MB was produced.
  CHECK(server.handler.big_bytes_written < 64 * 1024 * 1024);
}

TEST_CASE("a header block left unfinished ends the connection after header_timeout") {
  ServerSetup setup;
  setup.header_timeout = 300ms;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(
      connection.send(raw::frame(raw::kHeaders, raw::kEndStream, 1, raw::request_block("/echo"))));
  std::vector<raw::Frame> frames;
  CHECK(connection.read_until_closed(frames, 5s));
  CHECK(testing::eventually([&] { return server.closed("header_timeout") == 1; }, 2s));
  CHECK(server.handler.streams == 0);
}

TEST_CASE("overload cuts the idle timeout of HTTP/2 connections already open") {
  ServerSetup setup;
  setup.idle_timeout = 20s;  // 2 s under overload
  setup.max_connections = 4;
  setup.overload_threshold_percent = 75;  // from 3 open connections on
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/echo"))));
  REQUIRE(raw::response_status(connection) == "200");
  // The stream is done: the connection idles, with 20 s to go.
  const auto idle_from = std::chrono::steady_clock::now();
  raw::RawConnection second(server.port());
  raw::RawConnection third(server.port());  // the threshold: overload
  REQUIRE(second.connected());
  REQUIRE(third.connected());
  std::vector<raw::Frame> frames;
  REQUIRE(connection.read_until_closed(frames, 10s));
  CHECK(std::chrono::steady_clock::now() - idle_from < 5s);
  REQUIRE_FALSE(frames.empty());
  CHECK(frames.back().type == raw::kGoaway);
  CHECK(raw::goaway_code(frames.back()) == 0);  // NO_ERROR: a polite close
  CHECK(testing::eventually([&] { return server.closed("idle_timeout") == 1; }, 2s));
}

TEST_CASE("an HTTP/2 connection keeps its configured idle timeout below the overload threshold") {
  ServerSetup setup;
  setup.idle_timeout = 20s;
  setup.max_connections = 4;
  setup.overload_threshold_percent = 75;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/echo"))));
  REQUIRE(raw::response_status(connection) == "200");
  raw::RawConnection second(server.port());  // 2 of 4: not overloaded
  REQUIRE(second.connected());
  std::vector<raw::Frame> frames;
  CHECK_FALSE(connection.read_until_closed(frames, 3s));
  CHECK(server.closed("idle_timeout") == 0);
}

}  // namespace firewarden::transport::test
