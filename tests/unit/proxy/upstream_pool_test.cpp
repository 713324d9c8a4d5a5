// The HTTP/1.1 upstream pool keeps its connections per worker: a connection
// is made on the worker that asks for it and only ever leased again there,
// so no two threads touch it (and the pool needs no lock).
#include "firewarden/proxy/upstream_pool.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include "../../support/workers.hpp"

namespace firewarden::proxy {
namespace {

using Acquired = std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>;

// What one acquire saw, from inside the worker.
struct Lease {
  std::unique_ptr<UpstreamConnection> connection;
  std::string failure;
  std::thread::id thread;  // where the coroutine resumed after acquire
};

net::awaitable<Lease> lease(UpstreamPool& pool) {
  Acquired acquired = co_await pool.acquire();
  Lease out;
  out.thread = std::this_thread::get_id();
  if (auto* failure = std::get_if<ConnectFailure>(&acquired)) {
    out.failure = failure->message;
  } else {
    out.connection = std::get<std::unique_ptr<UpstreamConnection>>(std::move(acquired));
  }
  co_return out;
}

net::awaitable<bool> give_back(UpstreamPool& pool, std::unique_ptr<UpstreamConnection> c) {
  pool.release(std::move(c));
  co_return true;
}

const net::execution_context* context_of(UpstreamConnection& connection) {
  return &net::query(connection.socket().get_executor(), net::execution::context);
}

}  // namespace

TEST_CASE("an upstream connection is made, kept and reused on its own worker only") {
  // The upstream: a listening socket; connections complete in its backlog
  // and stay silent, which is what an idle keep-alive connection looks like.
  net::io_context upstream_io;
  net::ip::tcp::acceptor upstream(upstream_io, {net::ip::make_address("127.0.0.1"), 0});
  UpstreamOptions options;
  options.tls = false;
  options.host = "127.0.0.1";
  options.port = upstream.local_endpoint().port();

  testing::Workers workers(3);  // 0 and 1 serve; 2 is no worker of the pool
  UpstreamPool pool({workers.executors()[0], workers.executors()[1]}, options);

  auto first = workers.run_on(0, lease(pool));
  REQUIRE(first.failure.empty());
  CHECK_FALSE(first.connection->reused);
  CHECK(first.thread == workers.thread(0));
  CHECK(context_of(*first.connection) == &workers.context(0));
  UpstreamConnection* on_worker_0 = first.connection.get();
  workers.run_on(0, give_back(pool, std::move(first.connection)));

  // Worker 1 finds worker 0's idle connection no use: it makes its own.
  auto second = workers.run_on(1, lease(pool));
  REQUIRE(second.failure.empty());
  CHECK_FALSE(second.connection->reused);
  CHECK(second.thread == workers.thread(1));
  CHECK(context_of(*second.connection) == &workers.context(1));
  UpstreamConnection* on_worker_1 = second.connection.get();
  workers.run_on(1, give_back(pool, std::move(second.connection)));

  // Each worker gets its own connection back, never the other's.
  for (int round = 0; round < 3; ++round) {
    for (std::size_t worker : {1U, 0U}) {
      CAPTURE(round, worker);
      auto again = workers.run_on(worker, lease(pool));
      REQUIRE(again.failure.empty());
      CHECK(again.connection->reused);
      CHECK(again.connection.get() == (worker == 0 ? on_worker_0 : on_worker_1));
      CHECK(context_of(*again.connection) == &workers.context(worker));
      CHECK(again.thread == workers.thread(worker));
      workers.run_on(worker, give_back(pool, std::move(again.connection)));
    }
  }

  // A caller on no worker of the pool gets a connection of its own, which
  // is closed rather than pooled when given back.
  auto outsider = workers.run_on(2, lease(pool));
  REQUIRE(outsider.failure.empty());
  CHECK_FALSE(outsider.connection->reused);
  CHECK(context_of(*outsider.connection) == &workers.context(2));
  workers.run_on(2, give_back(pool, std::move(outsider.connection)));
  auto after = workers.run_on(2, lease(pool));
  REQUIRE(after.failure.empty());
  CHECK_FALSE(after.connection->reused);
  // Worker 0 still holds exactly its one connection.
  auto zero = workers.run_on(0, lease(pool));
  CHECK(zero.connection.get() == on_worker_0);
  workers.run_on(0, give_back(pool, std::move(zero.connection)));
  workers.run_on(2, give_back(pool, std::move(after.connection)));
}

}  // namespace firewarden::proxy
