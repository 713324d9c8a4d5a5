// The daemon's lifecycle: serve, reload on a timer and on SIGHUP, stop
// gracefully on SIGTERM/SIGINT. The modules are built in wiring.cpp.
#include "firewarden/app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "firewarden/app/cpu_quota.hpp"

namespace firewarden::app {
namespace {

using net::as_tuple;
using net::use_awaitable;

}  // namespace

int Daemon::run() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  net::co_spawn(io_, handle_signals(), net::detached);
  data_server_->start();
  admin_server_->start();
  net::co_spawn(io_, reload_loop(), net::detached);
  started_ = true;
  const auto data = data_server_->local_endpoint();
  const auto admin = admin_server_->local_endpoint();
  spdlog::info("firewarden {} listening on {}:{} (identity {}), admin on {}:{}, upstream {}",
               FIREWARDEN_VERSION, data.address().to_string(), data.port(),
               config::to_string(config_->identity.mode), admin.address().to_string(), admin.port(),
               config_->firestore.endpoint.url);
  if (config_->policy.enforcement == config::Enforcement::audit) {
    spdlog::warn(
        "policy.enforcement is audit: requests the policy denies are forwarded "
        "(logged and counted as decision deny)");
  }

  const unsigned threads = worker_threads();
  if (config_->threads == 0) {
    spdlog::info("threads: 0: {} worker threads ({} usable cores, cgroup CPU quota {})", threads,
                 threads_.cores,
                 threads_.quota_cpus ? std::to_string(*threads_.quota_cpus) : std::string("none"));
  }
  // Workers 1..N-1 wait for connections until shutdown() stops them.
  std::vector<net::executor_work_guard<net::io_context::executor_type>> idle_work;
  std::vector<std::thread> workers;
  for (auto& worker : more_workers_) {
    idle_work.push_back(net::make_work_guard(*worker));
    workers.emplace_back([&worker] { worker->run(); });
  }
  io_.run();
  stop_workers();  // also when worker 0 ended some other way
  for (auto& worker : workers) worker.join();
  spdlog::info("stopped");
  return 0;
}

void Daemon::stop_workers() {
  for (auto& worker : more_workers_) worker->stop();
  io_.stop();
}

void Daemon::reload() {
  policy_watcher_->check();
  if (certificate_watcher_) certificate_watcher_->check();
}

net::awaitable<void> Daemon::reload_loop() {
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!stopping_) {
    timer.expires_after(config_->reload_interval);
    auto [error] = co_await timer.async_wait(as_tuple(use_awaitable));
    if (error || stopping_) break;
    reload();
  }
}

// SIGHUP reloads; the first SIGTERM/SIGINT stops gracefully, a second one
// exits at once. Ends when shutdown() cancels the signal set.
net::awaitable<void> Daemon::handle_signals() {
  for (;;) {
    auto [error, signal] = co_await signals_.async_wait(as_tuple(use_awaitable));
    if (error) co_return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading policy and certificates");
      reload();
      continue;
    }
    if (stopping_) {
      spdlog::warn("second stop signal: exiting now");
      std::_Exit(1);
    }
    spdlog::info("signal {}: stopping gracefully", signal);
    request_quit();
  }
}

void Daemon::request_quit() {
  if (stopping_.exchange(true)) return;
  draining_ = true;  // readiness turns 503 at once
  net::co_spawn(io_, shutdown(), net::detached);
}

net::awaitable<void> Daemon::shutdown() {
  const auto& limits = config_->limits;
  net::steady_timer timer(co_await net::this_coro::executor);
  // Keep serving while load balancers notice the failing readiness.
  timer.expires_after(limits.shutdown_delay);
  co_await timer.async_wait(as_tuple(use_awaitable));

  data_server_->stop_accepting();
  proxy_->set_draining(true);
  data_server_->drain();
  const auto deadline = std::chrono::steady_clock::now() + limits.shutdown_grace;
  while (data_server_->active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(as_tuple(use_awaitable));
  }
  if (data_server_->active_connections() > 0) {
    spdlog::warn("shutdown_grace over: closing {} connections", data_server_->active_connections());
  }
  data_server_->close_all();
  admin_server_->stop_accepting();
  admin_server_->close_all();
  grpc_upstream_->close_all();  // GOAWAY upstream: no stream is left to finish
  tokens_->stop();              // ends background refresh loops
  signals_.cancel();
  // Let the closes run (each on its own worker), then stop every worker.
  timer.expires_after(std::chrono::milliseconds(20));
  co_await timer.async_wait(as_tuple(use_awaitable));
  stop_workers();
}

}  // namespace firewarden::app
