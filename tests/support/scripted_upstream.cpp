#include "scripted_upstream.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace firewarden::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kHoldAtMost{30};
}  // namespace

struct ScriptedUpstream::Impl {
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io};
  std::atomic<bool> released{false};
  std::atomic<int> received{0};
  std::atomic<int> held{0};
  std::thread thread;

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [error, socket] = co_await acceptor.async_accept(kAsTuple);
      if (error) co_return;
      net::co_spawn(io, serve(beast::tcp_stream(std::move(socket))), net::detached);
    }
  }

  net::awaitable<void> serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      stream.expires_after(std::chrono::seconds(60));
      auto [read_error, read] = co_await http::async_read(stream, buffer, request, kAsTuple);
      if (read_error) co_return;
      ++received;
      const std::string target(request.target());
      if (target.find("/broken/") != std::string::npos) {
        stream.close();
        co_return;
      }
      if (target.find("/held/") != std::string::npos && !released) {
        ++held;
        // Polls release() every 10 ms, for at most kHoldAtMost.
        const auto limit = std::chrono::steady_clock::now() + kHoldAtMost;
        net::steady_timer tick(co_await net::this_coro::executor);
        while (!released && std::chrono::steady_clock::now() < limit) {
          tick.expires_after(std::chrono::milliseconds(10));
          co_await tick.async_wait(kAsTuple);
        }
        --held;
      }
      http::response<http::string_body> response(http::status::ok, 11);
      response.set(http::field::content_type, "application/json; charset=UTF-8");
      const auto path = target.substr(0, target.find('?'));
      const auto documents = path.find("/documents/");
      const std::string name =
          documents == std::string::npos ? "" : path.substr(std::string("/v1/").size());
      response.body() = "{\"name\":\"" + name +
                        "\",\"fields\":{},\"createTime\":\"2026-01-01T00:00:00Z\","
                        "\"updateTime\":\"2026-01-01T00:00:00Z\"}";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      stream.expires_after(std::chrono::seconds(10));
      auto [write_error, written] = co_await http::async_write(stream, response, kAsTuple);
      if (write_error || !response.keep_alive()) co_return;
    }
  }
};

ScriptedUpstream::ScriptedUpstream() : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.bind(endpoint);
  s.acceptor.listen();
  net::co_spawn(s.io, s.accept_loop(), net::detached);
  s.thread = std::thread([&s] { s.io.run(); });
}

ScriptedUpstream::~ScriptedUpstream() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string ScriptedUpstream::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

int ScriptedUpstream::received() const { return impl_->received; }
int ScriptedUpstream::held() const { return impl_->held; }
void ScriptedUpstream::release() { impl_->released = true; }

}  // namespace firewarden::testing
