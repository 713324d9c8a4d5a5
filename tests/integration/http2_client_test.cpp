// The upstream HTTP/2 client (src/net/http2_client.cpp) against the real
// Firestore emulator's gRPC side: prior-knowledge h2c, a unary call's
// headers, message and trailers, and streams multiplexed on one connection.
#include "firewarden/net/http2_client.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "firewarden/net/header_fields.hpp"
#include "support/firewarden_instance.hpp"

namespace firewarden::transport {
namespace {

using namespace std::chrono_literals;

// BeginTransactionRequest{database = "projects/P/databases/(default)"}
// (field 1, wire type 2), in one uncompressed gRPC message frame.
std::string begin_transaction(const std::string& project) {
  const std::string database = "projects/" + project + "/databases/(default)";
  std::string message = "\x0a";
  message.push_back(static_cast<char>(database.size()));  // < 128: one varint byte
  message += database;
  std::string frame(1, '\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>(message.size() >> shift));
  }
  return frame + message;
}

HeaderList grpc_headers(const std::string& authority) {
  HeaderList headers;
  headers.emplace_back(":method", "POST");
  headers.emplace_back(":scheme", "http");
  headers.emplace_back(":authority", authority);
  headers.emplace_back(":path", "/google.firestore.v1.Firestore/BeginTransaction");
  headers.emplace_back("content-type", "application/grpc");
  headers.emplace_back("te", "trailers");
  headers.emplace_back("authorization", "Bearer owner");
  return headers;
}

struct CallResult {
  bool opened = false;
  bool reused = false;
  std::string status;
  std::string content_type;
  std::string body;
  std::string grpc_status;
  std::string error;
};

net::awaitable<CallResult> call(Http2Client& client, const std::string& authority,
                                const std::string& project) {
  CallResult result;
  auto open = co_await client.open_stream(grpc_headers(authority));
  if (!open.stream) {
    result.error = open.connect_error ? "connect failed" : open.error.message();
    co_return result;
  }
  result.opened = true;
  result.reused = open.reused;
  auto& stream = *open.stream;
  if (auto error = co_await stream.write_data(begin_transaction(project), true)) {
    result.error = "write: " + error.message();
    co_return result;
  }
  if (auto error = co_await stream.read_response_headers()) {
    result.error = "headers: " + error.message();
    co_return result;
  }
  result.status = std::string(field(stream.headers(), ":status").value_or(""));
  result.content_type = std::string(field(stream.headers(), "content-type").value_or(""));
  for (;;) {
    auto read = co_await stream.read(16 * 1024);
    if (read.error) {
      result.error = "read: " + read.error.message();
      co_return result;
    }
    result.body += read.data;
    if (read.end) break;
  }
  result.grpc_status = std::string(field(stream.trailers(), "grpc-status").value_or(""));
  co_return result;
}

Http2ClientOptions emulator(std::size_t max_connections) {
  Http2ClientOptions options;
  options.host = "127.0.0.1";
  options.port = std::to_string(testing::emulator_port());
  options.max_connections = max_connections;
  return options;
}

std::string authority() { return "127.0.0.1:" + std::to_string(testing::emulator_port()); }

}  // namespace

TEST_CASE("http2 client: a gRPC BeginTransaction on the emulator over h2c") {
  net::io_context io;
  Http2Client client(io.get_executor(), emulator(4));
  CallResult result;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        result = co_await call(client, authority(), testing::unique_project());
        client.close_all();  // the connection ends, and so does run_for
      },
      net::detached);
  io.run_for(30s);
  INFO(result.error);
  REQUIRE(result.opened);
  CHECK_FALSE(result.reused);
  CHECK(result.status == "200");
  CHECK(result.content_type.starts_with("application/grpc"));
  // One uncompressed message: BeginTransactionResponse{transaction (1): bytes}.
  REQUIRE(result.body.size() > 6);
  CHECK(result.body[0] == '\0');
  CHECK(result.body[5] == '\x0a');
  CHECK(result.grpc_status == "0");
}

TEST_CASE("http2 client: concurrent streams share one connection") {
  net::io_context io;
  Http2Client client(io.get_executor(), emulator(1));
  const std::string project = testing::unique_project();
  std::vector<CallResult> results(8);
  std::size_t done = 0;
  for (auto& slot : results) {
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          slot = co_await call(client, authority(), project);
          if (++done == results.size()) client.close_all();
        },
        net::detached);
  }
  io.run_for(30s);
  int reused = 0;
  for (const auto& result : results) {
    INFO(result.error);
    CHECK(result.grpc_status == "0");
    reused += result.reused ? 1 : 0;
  }
  CHECK(reused == 7);  // one connection made, seven streams rode it
}

}  // namespace firewarden::transport
