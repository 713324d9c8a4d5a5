// libFuzzer target: the HTTP/2 front end of the data plane. The input is
// what a client sends after the connection preface (the target sends the
// preface itself, so the fuzzer spends its time on frames): the real Server,
// with HTTP/2 on and tight limits, reads it over a loopback connection with
// its nghttp2 session (src/net/http2_session.cpp, http2_events.cpp) and
// hands each stream to a handler that reads the body and answers with
// headers, data and trailers.
//
// Beyond "no crash, no UB": every connection ends once the client stopped
// sending (no stream, handler or timer keeps it open), and no handler ever
// sees a request whose decoded header list exceeds max_header_bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "firewarden/net/server.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace {

namespace net = firewarden::net;
namespace http = firewarden::http;
using firewarden::transport::ClientStream;
using firewarden::transport::Connection;
using firewarden::transport::HeaderList;
using firewarden::transport::Http2Stream;
using firewarden::transport::Request;

constexpr std::uint64_t kMaxHeaderBytes = 4096;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

void require(bool condition) {
  if (!condition) std::abort();
}

HeaderList answer() { return {{":status", "200"}, {"content-type", "text/plain"}}; }
HeaderList status_ok() { return {{"grpc-status", "0"}}; }

class EchoHandler final : public firewarden::transport::RequestHandler {
 public:
  net::awaitable<bool> handle(Connection&, Request&, ClientStream&) override { co_return false; }

  net::awaitable<void> handle_stream(Connection&, Http2Stream& stream) override {
    std::uint64_t header_bytes = 0;
    for (const auto& [name, value] : stream.headers()) header_bytes += name.size() + value.size();
    require(header_bytes <= kMaxHeaderBytes);
    std::string body;
    for (int reads = 0; reads < 16; ++reads) {
      auto read = co_await stream.read(8192);
      if (read.error) co_return;
      body += read.data;
      if (read.end) break;
    }
    if (co_await stream.write_headers(answer(), false)) co_return;
    if (co_await stream.write_data(body, false)) co_return;
    co_await stream.write_trailers(status_ok(), {});
  }
};

struct Fixture {
  net::io_context io{1};
  firewarden::telemetry::Registry registry;
  firewarden::telemetry::MetricCatalogue metrics{registry};
  EchoHandler handler;
  firewarden::transport::Server server{io, options(), handler, metrics};

  Fixture() { server.start(); }

  static firewarden::transport::ServerOptions options() {
    firewarden::transport::ServerOptions options;
    options.address = {net::ip::address_v4::loopback(), 0};
    options.max_header_bytes = kMaxHeaderBytes;
    options.single_thread = true;
    options.header_timeout = std::chrono::seconds(5);
    options.idle_timeout = std::chrono::seconds(5);
    firewarden::transport::Http2Limits limits;
    limits.max_concurrent_streams = 8;
    limits.reset_budget = 16;
    limits.control_frame_budget = 64;
    limits.stream_window_bytes = 16 * 1024;
    limits.connection_window_bytes = 64 * 1024;
    options.http2 = limits;
    return options;
  }
};

// Sends the preface and the input, closes the sending side, and reads
// whatever comes back until the server closes.
net::awaitable<void> client(net::ip::tcp::endpoint server, std::string input, bool& done) {
  net::ip::tcp::socket socket(co_await net::this_coro::executor);
  auto [error] = co_await socket.async_connect(server, net::as_tuple(net::use_awaitable));
  if (!error) {
    co_await net::async_write(socket, net::buffer(input), net::as_tuple(net::use_awaitable));
    boost::system::error_code ignored;
    socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    char sink[16384];
    for (;;) {
      auto [read_error, bytes] =
          co_await socket.async_read_some(net::buffer(sink), net::as_tuple(net::use_awaitable));
      if (read_error) break;
    }
  }
  done = true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  std::string input(kPreface);
  input.append(reinterpret_cast<const char*>(data), size);
  bool done = false;
  net::co_spawn(fixture.io, client(fixture.server.local_endpoint(), std::move(input), done),
                net::detached);
  // The server's accept loop never runs out of work: run until the client
  // saw the connection close and the server let go of it. Bounded by the
  // server's own timeouts (5 s), well inside libFuzzer's -timeout.
  while (!done || fixture.server.active_connections() > 0) fixture.io.run_one();
  return 0;
}
