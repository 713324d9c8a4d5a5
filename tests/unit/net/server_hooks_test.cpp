// What the transport decides on its own: the timeouts under overload
// (Envoy's reduce_timeouts, min_scale 10%, at least 1 s, never longer than
// configured) and the default answer to a request it could not read.
#include <catch2/catch.hpp>
#include <chrono>

#include "firewarden/net/server.hpp"

using namespace std::chrono_literals;
using firewarden::transport::overload_timeout;

namespace {

// A handler that keeps every default hook.
class DefaultHooks final : public firewarden::transport::RequestHandler {
 public:
  firewarden::net::awaitable<bool> handle(firewarden::transport::Connection&,
                                          firewarden::transport::Request&,
                                          firewarden::transport::ClientStream&) override {
    co_return false;
  }
};

}  // namespace

TEST_CASE("overload cuts a timeout to a tenth, at least 1 s, never longer than configured") {
  CHECK(overload_timeout(10s) == 1s);
  CHECK(overload_timeout(60s) == 6s);
  CHECK(overload_timeout(30s) == 3s);
  CHECK(overload_timeout(2s) == 1s);
  CHECK(overload_timeout(500ms) == 500ms);
  CHECK(overload_timeout(10ms) == 10ms);
}

TEST_CASE("the default hooks keep no connection state and answer an unreadable request plainly") {
  DefaultHooks handler;
  firewarden::transport::Connection connection;
  CHECK(handler.on_connected(connection, nullptr) == nullptr);
  for (const unsigned status : {400U, 413U, 431U}) {
    CAPTURE(status);
    const auto response =
        handler.on_unreadable_request(connection, {{}, status, "request header fields too large"});
    CHECK(response.result_int() == status);
    CHECK(response.body() == "request header fields too large\n");
    CHECK(response[firewarden::http::field::content_type] == "text/plain; charset=utf-8");
    CHECK_FALSE(response.keep_alive());
    CHECK(response[firewarden::http::field::content_length] ==
          std::to_string(response.body().size()));
  }
}
