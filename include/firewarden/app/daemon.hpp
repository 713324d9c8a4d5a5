#pragma once
// `firewarden run`: wires config, policy, TLS, credentials, the proxy and the
// admin endpoints together, runs the workers (one io_context and thread
// each, like nginx's worker processes), reloads on change and
// SIGHUP, and stops gracefully on SIGTERM/SIGINT (SPEC §11).
//
// One class, implemented in four files by job: wiring.cpp (building the
// modules from the config), reloader.cpp (the watched files), status.cpp
// (/status, /readyz, /startup) and daemon.cpp (the lifecycle).
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "firewarden/admin/admin_handler.hpp"
#include "firewarden/app/cpu_quota.hpp"
#include "firewarden/app/reloader.hpp"
#include "firewarden/config/config.hpp"
#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/net/http2_client.hpp"
#include "firewarden/net/server.hpp"
#include "firewarden/proxy/firestore_proxy.hpp"
#include "firewarden/proxy/policy_store.hpp"
#include "firewarden/proxy/upstream_pool.hpp"
#include "firewarden/telemetry/access_log.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::app {

class Daemon final : public admin::StatusSource {
 public:
  // Builds everything; throws std::runtime_error with an operator-facing
  // message on any start-up problem (bad policy, unreadable certificate…).
  explicit Daemon(std::shared_ptr<const config::Config> config);
  ~Daemon() override;

  // Serves until a graceful stop; returns the process exit code.
  int run();

  std::vector<admin::ReadinessCheck> readiness() const override;
  std::vector<admin::ReadinessCheck> startup() const override;
  nlohmann::json status() const override;
  void request_quit() override;

 private:
  // wiring.cpp
  void register_process_metrics();
  void load_at_start();
  void make_servers();
  // status.cpp
  admin::ReadinessCheck token_check() const;
  // daemon.cpp
  // Worker threads (config `threads`; 0: one per usable CPU, the cgroup CPU
  // quota counted, cpu_quota.hpp), chosen once at construction.
  unsigned worker_threads() const { return threads_.threads; }
  // Each worker's executor, worker 0 (io_) first.
  std::vector<net::any_io_executor> worker_executors();
  void stop_workers();
  void reload();
  net::awaitable<void> reload_loop();
  net::awaitable<void> handle_signals();
  net::awaitable<void> shutdown();

  std::shared_ptr<const config::Config> config_;
  // Read once: one io_context per worker is made from it, each run by
  // exactly one thread (affinity or the cgroup quota may change later).
  ThreadChoice threads_;
  std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  // Worker 0, run by the thread that calls run(): the listeners' accept
  // loops, the admin server, signals, reloads and token refreshes, and its
  // share of the connections. Workers 1..N-1 (`more_workers_`) only serve
  // connections handed to them, and the upstream connections those use.
  // Declared before everything that holds sockets or timers on them.
  net::io_context io_;
  std::vector<std::unique_ptr<net::io_context>> more_workers_;
  net::signal_set signals_;
  telemetry::Registry metrics_;
  telemetry::MetricCatalogue catalogue_{metrics_};  // every family, from the first scrape
  telemetry::AccessLog access_log_;
  proxy::PolicyStore policies_;
  std::unique_ptr<PolicyWatcher> policy_watcher_;
  std::unique_ptr<CertificateWatcher> certificate_watcher_;  // when listener.tls is set
  std::shared_ptr<credentials::TokenProvider> tokens_;
  std::unique_ptr<proxy::UpstreamPool> upstream_;          // REST: HTTP/1.1
  std::unique_ptr<transport::Http2Client> grpc_upstream_;  // gRPC: HTTP/2
  std::unique_ptr<proxy::FirestoreProxy> proxy_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<transport::Server> data_server_;
  std::unique_ptr<transport::Server> admin_server_;
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace firewarden::app
