// The upstream HTTP/2 client (src/net/http2_client.cpp) against our own
// listener: a request body out, a response body and trailers back, over
// h2c and over TLS with ALPN h2; a TLS peer that does not select h2 is
// refused before anything is sent.
#include "firewarden/net/http2_client.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include "../../support/workers.hpp"
#include "firewarden/net/header_fields.hpp"
#include "http2_test_server.hpp"

namespace firewarden::transport::test {
namespace {

using namespace std::chrono_literals;

HeaderList echo_request(bool tls) {
  HeaderList headers;
  headers.emplace_back(":method", "POST");
  headers.emplace_back(":scheme", tls ? "https" : "http");
  headers.emplace_back(":authority", "127.0.0.1");
  headers.emplace_back(":path", "/echo");
  return headers;
}

struct Echoed {
  bool connect_failed = false;
  std::string error;
  std::string status;
  std::string body;
  std::string trailer;
};

net::awaitable<Echoed> echo(Http2Client& client, std::string body, bool tls) {
  Echoed result;
  auto open = co_await client.open_stream(echo_request(tls));
  if (!open.stream) {
    result.connect_failed = open.connect_error.has_value();
    result.error = open.error.message();
    co_return result;
  }
  auto& stream = *open.stream;
  // In two writes: the stream stays open between them.
  const std::string_view all(body);
  if (auto error = co_await stream.write_data(all.substr(0, all.size() / 2), false)) {
    result.error = error.message();
    co_return result;
  }
  if (auto error = co_await stream.write_data(all.substr(all.size() / 2), true)) {
    result.error = error.message();
    co_return result;
  }
  if (auto error = co_await stream.read_response_headers()) {
    result.error = error.message();
    co_return result;
  }
  result.status = std::string(field(stream.headers(), ":status").value_or(""));
  for (;;) {
    auto read = co_await stream.read(7000);
    if (read.error) {
      result.error = read.error.message();
      co_return result;
    }
    result.body += read.data;
    if (read.end) break;
  }
  result.trailer = std::string(field(stream.trailers(), "x-echo-bytes").value_or(""));
  co_return result;
}

Echoed run_echo(Http2ClientOptions options, const std::string& body) {
  const bool tls = options.tls != nullptr;
  net::io_context io;
  Http2Client client(io.get_executor(), std::move(options));
  Echoed result;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        result = co_await echo(client, body, tls);
        client.close_all();  // GOAWAY: the connection ends, and so does run_for
      },
      net::detached);
  io.run_for(10s);
  return result;
}

Http2ClientOptions to(const RunningServer& server) {
  Http2ClientOptions options;
  options.host = "127.0.0.1";
  options.port = std::to_string(server.port());
  return options;
}

// Trusts the test certificate and presents it as the client's SVID.
std::shared_ptr<ssl::context> client_tls() {
  auto context = make_client_tls_context(cert_file());
  context->use_certificate_chain_file(cert_file());
  context->use_private_key_file(key_file(), ssl::context::pem);
  return context;
}

}  // namespace

TEST_CASE("the HTTP/2 client sends a body and reads a body and trailers over h2c") {
  RunningServer server;
  auto options = to(server);
  // Strands of its own, or the io_context's executor (one thread).
  options.single_thread = GENERATE(false, true);
  const std::string body(300000, 'q');  // beyond one stream window: flow control both ways
  const auto result = run_echo(options, body);
  INFO(result.error);
  CHECK(result.status == "200");
  CHECK(result.body == body);
  CHECK(result.trailer == std::to_string(body.size()));
}

TEST_CASE("the HTTP/2 client speaks h2 over TLS when ALPN selects it") {
  ServerSetup setup;
  setup.tls = true;
  RunningServer server(setup);
  auto options = to(server);
  options.tls = client_tls();
  const auto result = run_echo(options, "over tls");
  INFO(result.error);
  CHECK(result.status == "200");
  CHECK(result.body == "over tls");
}

TEST_CASE("the HTTP/2 client refuses a TLS peer that does not select h2") {
  ServerSetup setup;
  setup.tls = true;
  setup.http2 = false;
  RunningServer server(setup);
  auto options = to(server);
  options.tls = client_tls();
  const auto result = run_echo(options, "never sent");
  CHECK(result.connect_failed);
  CHECK(result.status.empty());
  CHECK(server.handler.streams == 0);
  CHECK(server.handler.http1_requests == 0);
}

TEST_CASE("callers that stop reading do not close the shared upstream connection to the others") {
  // Four streams leave their responses unread (a client that never reads
  // what it asked for): each holds a full stream window on the one
  // connection. A fifth stream on it must still get its whole response.
  RunningServer server;
  auto options = to(server);
  options.max_connections = 1;
  options.single_thread = GENERATE(false, true);
  constexpr std::size_t kSize = 400 * 1024;  // beyond one stream window
  net::io_context io;
  Http2Client client(io.get_executor(), options);
  std::vector<std::unique_ptr<Http2ClientStream>> stalled;
  std::size_t stalled_count = 0;
  std::size_t fifth_read = 0;
  bool fifth_ended = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        HeaderList request = echo_request(false);
        request[3].second = "/big?" + std::to_string(kSize);
        for (int i = 0; i < 4; ++i) {
          auto open = co_await client.open_stream(request, true);
          if (!open.stream || co_await open.stream->read_response_headers()) co_return;
          stalled.push_back(std::move(open.stream));
        }
        // Let the server fill the stalled streams' windows first (a fixed
        // pause was too short on a loaded machine: 4 failures in 10).
        constexpr std::size_t kStalledWindows = 4 * 256 * 1024;
        for (int i = 0; i < 100 && server.handler.big_bytes_written < kStalledWindows; ++i) {
          net::steady_timer pause(io, 50ms);
          co_await pause.async_wait(net::use_awaitable);
        }
        auto open = co_await client.open_stream(request, true);
        if (!open.stream || co_await open.stream->read_response_headers()) co_return;
        for (;;) {
          auto read = co_await open.stream->read(64 * 1024);
          if (read.error) break;
          fifth_read += read.data.size();
          if (read.end) {
            fifth_ended = true;
            break;
          }
        }
        stalled_count = stalled.size();
        for (auto& stream : stalled) stream->reset(Http2Error::cancel);
        client.close_all();  // the connection ends, and so does run_for
      },
      net::detached);
  io.run_for(10s);
  CHECK(stalled_count == 4);
  CHECK(fifth_read == kSize);
  CHECK(fifth_ended);
  // The server counts a chunk once its write returned, which may be just
  // after the client read it (its thread runs on its own).
  const std::size_t written = 4 * 256 * 1024 + kSize;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (server.handler.big_bytes_written < written &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(server.handler.big_bytes_written >= written);
}

// One request and its whole response, from the worker it is started on.
struct Ridden {
  bool reused = false;
  std::string status;
  bool stayed = true;  // every resumption on the starting thread
};

net::awaitable<Ridden> ride(Http2Client& client) {
  Ridden out;
  const auto thread = std::this_thread::get_id();
  auto open = co_await client.open_stream(echo_request(false), true);
  out.stayed = std::this_thread::get_id() == thread;
  if (!open.stream) co_return out;
  out.reused = open.reused;
  if (co_await open.stream->read_response_headers()) co_return out;
  out.stayed = out.stayed && std::this_thread::get_id() == thread;
  out.status = std::string(field(open.stream->headers(), ":status").value_or(""));
  for (;;) {
    auto read = co_await open.stream->read(4096);
    if (read.error || read.end) break;
  }
  out.stayed = out.stayed && std::this_thread::get_id() == thread;
  co_return out;
}

TEST_CASE("the HTTP/2 client keeps a pool per worker: a stream rides its own worker's connection") {
  RunningServer server;
  testing::Workers workers(2);
  Http2Client client(workers.executors(), to(server));
  // Each worker makes its own connection although the other's has room.
  const auto first_0 = workers.run_on(0, ride(client));
  const auto first_1 = workers.run_on(1, ride(client));
  CHECK(first_0.status == "200");
  CHECK(first_1.status == "200");
  CHECK_FALSE(first_0.reused);
  CHECK_FALSE(first_1.reused);
  // Then each rides the one it made.
  for (std::size_t worker : {0U, 1U, 1U, 0U}) {
    CAPTURE(worker);
    const auto again = workers.run_on(worker, ride(client));
    CHECK(again.status == "200");
    CHECK(again.reused);
    CHECK(again.stayed);
  }
  CHECK(first_0.stayed);
  CHECK(first_1.stayed);
  CHECK(server.handler.streams == 6);
  client.close_all();
  workers.stop();
}

// What a caller on no worker of the client saw: the echo, and whether it
// resumed on its own thread after every stream operation.
struct ForeignCaller {
  Echoed echoed;
  bool stayed = true;
};

net::awaitable<ForeignCaller> echo_from_elsewhere(Http2Client& client, std::string body) {
  ForeignCaller out;
  const auto own = std::this_thread::get_id();
  const auto check = [&] { out.stayed = out.stayed && std::this_thread::get_id() == own; };
  auto open = co_await client.open_stream(echo_request(false));
  check();
  if (!open.stream) {
    out.echoed.error = open.error.message();
    co_return out;
  }
  auto& stream = *open.stream;
  auto error = co_await stream.write_data(body, true);
  check();
  if (!error) error = co_await stream.read_response_headers();
  check();
  if (error) {
    out.echoed.error = error.message();
    co_return out;
  }
  out.echoed.status = std::string(field(stream.headers(), ":status").value_or(""));
  for (bool end = false; !end;) {
    auto read = co_await stream.read(7000);
    check();
    if (read.error) {
      out.echoed.error = read.error.message();
      co_return out;
    }
    out.echoed.body += read.data;
    end = read.end;
  }
  out.echoed.trailer = std::string(field(stream.trailers(), "x-echo-bytes").value_or(""));
  co_return out;
}

TEST_CASE(
    "a caller on no worker of the HTTP/2 client: each stream operation hops to the "
    "connection's worker and the caller resumes on its own") {
  RunningServer server;
  testing::Workers pool_worker(1);
  testing::Workers caller(1);
  Http2Client client(pool_worker.executors(), to(server));
  const std::string body(50'000, 'x');  // more than one read, and more than one DATA frame
  const auto seen = caller.run_on(0, echo_from_elsewhere(client, body));
  CHECK(seen.echoed.error.empty());
  CHECK(seen.echoed.status == "200");
  CHECK(seen.echoed.body == body);
  CHECK(seen.echoed.trailer == std::to_string(body.size()));
  CHECK(seen.stayed);
  // The stream rode the pool's connection; a second caller from elsewhere reuses it.
  const auto again = caller.run_on(0, echo_from_elsewhere(client, "again"));
  CHECK(again.echoed.body == "again");
  CHECK(server.handler.streams == 2);
  client.close_all();
  pool_worker.stop();
  caller.stop();
}

}  // namespace firewarden::transport::test
