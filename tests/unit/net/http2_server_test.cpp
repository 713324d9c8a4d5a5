// HTTP/2 on the data-plane listener (src/net/http2_server.cpp,
// http2_session.cpp): prior knowledge on plaintext, ALPN on TLS, HTTP/1.1
// on the same port, streams answered, reset or drained, with real clients
// (curl, nghttp) where they behave and raw frames where they must not.
#include <catch2/catch.hpp>

#include "../../support/h2_frames.hpp"
#include "../../support/process.hpp"
#include "http2_test_server.hpp"

namespace firewarden::transport::test {
namespace {

using namespace std::chrono_literals;
namespace raw = testing::h2;

std::string url(const RunningServer& server, std::string_view scheme, std::string_view path) {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

ServerSetup tls_setup(bool http2 = true) {
  ServerSetup setup;
  setup.tls = true;
  setup.http2 = http2;
  return setup;
}

}  // namespace

TEST_CASE(
    "a plaintext client with prior knowledge speaks HTTP/2, others HTTP/1.1 on the same port") {
  RunningServer server;
  const auto echoed =
      run("curl -s --http2-prior-knowledge --data-binary hello -w ' %{http_version}' " +
          url(server, "http", "/echo"));
  CHECK(echoed == "hello 2");
  const auto http1 = run("curl -s -w ' %{http_version}' " + url(server, "http", "/any"));
  CHECK(http1 == "http1 ok 1.1");
  CHECK(server.handler.streams == 1);
  CHECK(server.handler.http1_requests == 1);
}

TEST_CASE("trailers and a body of several frames go through nghttp") {
  RunningServer server;
  const std::string body_file = temp_file("body", std::string(100000, 'b'));
  const auto out = run("nghttp -v -d " + body_file + " " + url(server, "http", "/echo"));
  CHECK(out.find("x-echo-bytes: 100000") != std::string::npos);
  CHECK(out.find(std::string(1000, 'b')) != std::string::npos);
}

TEST_CASE("TLS listeners select h2 whenever the client offers it, http/1.1 otherwise") {
  RunningServer server(tls_setup());
  const std::string tls = " -s --cacert " + cert_file() + " --cert " + cert_file() + " --key " +
                          key_file() + " -w ' %{http_version}' ";
  // curl offers h2 and http/1.1, as REST clients do: h2 is chosen.
  CHECK(run("curl --http2 --data-binary tls" + tls + url(server, "https", "/echo")) == "tls 2");
  CHECK(server.handler.streams == 1);
  // A client that offers http/1.1 alone keeps it.
  CHECK(run("curl --http1.1" + tls + url(server, "https", "/x")) == "http1 ok 1.1");
  CHECK(server.handler.streams == 1);
  // nghttp offers h2 alone, as every gRPC client does.
  const std::string body_file = temp_file("tls-body", "tls");
  const auto out = run("nghttp -v --cert " + cert_file() + " --key " + key_file() + " -d " +
                       body_file + " " + url(server, "https", "/echo"));
  CHECK(out.find("negotiated protocol: h2") != std::string::npos);
  CHECK(out.find("x-echo-bytes: 3") != std::string::npos);
  CHECK(server.handler.streams == 2);
}

TEST_CASE("a listener without HTTP/2 offers no h2 by ALPN and reads a preface as HTTP/1.1") {
  RunningServer server(tls_setup(false));
  const std::string tls = " -s --cacert " + cert_file() + " --cert " + cert_file() + " --key " +
                          key_file() + " -w ' %{http_version}' ";
  CHECK(run("curl --http2" + tls + url(server, "https", "/x")) == "http1 ok 1.1");
  CHECK(server.handler.streams == 0);
}

TEST_CASE("Upgrade: h2c is answered as HTTP/1.1, never upgraded") {
  RunningServer server;
  const auto out = run("curl -s --http2 -w ' %{http_version}' " + url(server, "http", "/x"));
  CHECK(out == "http1 ok 1.1");
  CHECK(server.handler.streams == 0);
}

TEST_CASE("a stream the handler leaves unanswered is reset") {
  RunningServer server;
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/silent"))));
  std::optional<raw::Frame> reset;
  while (auto frame = connection.next(5s)) {
    if (frame->type == raw::kRstStream) {
      reset = frame;
      break;
    }
  }
  REQUIRE(reset);
  CHECK(reset->stream == 1);
  CHECK(raw::get32(reset->payload, 0) == static_cast<std::uint32_t>(Http2Error::internal_error));
}

TEST_CASE("a preface that begins right and goes wrong is refused") {
  RunningServer server;
  raw::RawConnection connection(server.port());
  REQUIRE(connection.send("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"));
  std::vector<raw::Frame> frames;
  connection.read_until_closed(frames, 5s);
  CHECK(connection.unparsed().starts_with("HTTP/1.1 400"));
  CHECK(server.handler.streams == 0);
  CHECK(server.handler.http1_requests == 0);
}

TEST_CASE("garbage after the preface ends the connection as a protocol error") {
  RunningServer server;
  raw::RawConnection connection(server.port());
  REQUIRE(connection.send(std::string(raw::kPreface) + std::string(64, '\xff')));
  std::vector<raw::Frame> frames;
  CHECK(connection.read_until_closed(frames, 5s));
  CHECK(server.handler.streams == 0);
  CHECK(testing::eventually([&] { return server.closed("http2_protocol_error") == 1; }, 2s));
}

TEST_CASE("drain sends GOAWAY and lets the open stream finish") {
  RunningServer server;
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/slow"))));
  REQUIRE(testing::eventually([&] { return server.handler.streams == 1; }, 2s));
  server.server().drain();
  std::vector<raw::Frame> frames;
  CHECK(connection.read_until_closed(frames, 5s));
  bool goaway = false;
  bool answered = false;
  for (const auto& frame : frames) {
    if (frame.type == raw::kGoaway) goaway = raw::goaway_code(frame) == 0;
    if (frame.type == raw::kData && frame.payload == "slow") answered = goaway;
  }
  CHECK(goaway);
  CHECK(answered);  // the stream finished after the GOAWAY
}

TEST_CASE("an idle HTTP/2 connection closes after idle_timeout, counted") {
  ServerSetup setup;
  setup.idle_timeout = 300ms;
  RunningServer server(setup);
  raw::RawConnection connection(server.port());
  REQUIRE(connection.open());
  REQUIRE(connection.send(raw::frame(raw::kHeaders, raw::kEndHeaders | raw::kEndStream, 1,
                                     raw::request_block("/echo"))));
  std::vector<raw::Frame> frames;
  CHECK(connection.read_until_closed(frames, 5s));
  CHECK(testing::eventually([&] { return server.closed("idle_timeout") == 1; }, 2s));
}

}  // namespace firewarden::transport::test
