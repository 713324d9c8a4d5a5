// The listener hands connections to its workers round-robin, and every
// connection runs on its worker's thread for its whole life (nginx's model:
// no strand, no hop to another thread).
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "../../support/workers.hpp"
#include "firewarden/net/server.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::transport {
namespace {

// Answers every request with the number of the worker it runs on, after
// checking that the connection never left that worker's thread.
class WhereHandler final : public RequestHandler {
 public:
  explicit WhereHandler(testing::Workers& workers) : workers_(workers) {}

  net::awaitable<bool> handle(Connection&, Request& request, ClientStream& client) override {
    const auto* context = &net::query(co_await net::this_coro::executor, net::execution::context);
    const int worker = worker_of(context);
    bool on_its_thread = worker >= 0 && std::this_thread::get_id() == workers_.thread(worker);
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.body() = std::to_string(worker);
    response.prepare_payload();
    auto [error, bytes] = co_await client.visit([&](auto& stream) {
      return http::async_write(stream, response, net::as_tuple(net::use_awaitable));
    });
    // Still there after an asynchronous write completed.
    on_its_thread = on_its_thread && std::this_thread::get_id() == workers_.thread(worker);
    if (!on_its_thread) ++wrong_thread;
    co_return !error && request.keep_alive();
  }

  std::atomic<int> wrong_thread{0};

 private:
  int worker_of(const net::execution_context* context) {
    for (int i = 0; i < 3; ++i) {
      if (&workers_.context(i) == context) return i;
    }
    return -1;
  }
  testing::Workers& workers_;
};

// One keep-alive connection sending `requests` requests; the worker numbers
// it was answered with.
std::vector<std::string> ask(std::uint16_t port, int requests) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect({net::ip::make_address("127.0.0.1"), port});
  std::vector<std::string> answers;
  for (int i = 0; i < requests; ++i) {
    http::request<http::empty_body> request{http::verb::get, "/", 11};
    request.set(http::field::host, "test");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    answers.push_back(response.body());
  }
  return answers;
}

}  // namespace

TEST_CASE("the listener spreads connections over its workers, each staying on its worker") {
  testing::Workers workers(3);
  telemetry::Registry registry;
  telemetry::MetricCatalogue metrics{registry};
  WhereHandler handler(workers);
  ServerOptions options;
  options.address = {net::ip::make_address("127.0.0.1"), 0};
  options.workers = workers.executors();
  // The accept loop runs on worker 0, as the daemon's does.
  Server server(workers.context(0), options, handler, metrics);
  server.start();

  std::map<std::string, int> connections_per_worker;
  for (int connection = 0; connection < 6; ++connection) {
    const auto answers = ask(server.local_endpoint().port(), 3);
    REQUIRE(answers.size() == 3);
    // Every request of a connection is answered on the same worker.
    CHECK(answers[1] == answers[0]);
    CHECK(answers[2] == answers[0]);
    ++connections_per_worker[answers[0]];
  }
  CHECK(connections_per_worker == std::map<std::string, int>{{"0", 2}, {"1", 2}, {"2", 2}});
  CHECK(handler.wrong_thread == 0);

  server.stop_accepting();
  server.close_all();
  for (int i = 0; i < 200 && server.active_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(server.active_connections() == 0);
  workers.stop();  // no handler of the server runs once it is destroyed
}

}  // namespace firewarden::transport
