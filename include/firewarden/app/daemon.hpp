#pragma once
// `firewarden run`: wires config, policy, TLS, credentials, the proxy and the
// admin endpoints together, runs the worker threads, reloads on change and
// SIGHUP, and stops gracefully on SIGTERM/SIGINT (SPEC §11).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "firewarden/admin/admin_handler.hpp"
#include "firewarden/config/config.hpp"
#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/net/server.hpp"
#include "firewarden/net/server_tls.hpp"
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
  admin::ReadinessCheck token_check() const;
  // Threads that run io_ (config `threads`; 0: one per usable CPU, the
  // cgroup CPU quota counted, cpu_quota.hpp).
  unsigned worker_threads() const;
  struct Watched {  // a file set whose content digest we last loaded
    std::string digest;
    bool unreadable = false;  // the last attempt could not read the file(s)
  };
  // What /status says about the serving certificate (guarded by status_mutex_).
  struct CertificateState {
    std::uint64_t generation = 0;
    std::string sha256;  // fingerprint of the leaf (DER), hex
    std::string serial;  // hex
    std::chrono::system_clock::time_point loaded_at;
    std::string last_error;
  };
  void load_policy_at_start();
  bool reload_policy();        // true when a new policy was installed
  bool reload_certificates();  // true when a new TLS context was installed
  std::string certificate_digest() const;
  net::awaitable<void> reload_loop();
  net::awaitable<void> shutdown();
  void handle_signals();

  std::shared_ptr<const config::Config> config_;
  std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  net::io_context io_;
  net::signal_set signals_;
  telemetry::Registry metrics_;
  telemetry::MetricCatalogue catalogue_{metrics_};  // every family, from the first scrape
  telemetry::AccessLog access_log_;
  proxy::PolicyStore policies_;
  Watched policy_watch_;
  Watched certificate_watch_;
  std::atomic<std::shared_ptr<ssl::context>> tls_context_;
  std::atomic<long long> certificate_not_after_{0};
  mutable std::mutex status_mutex_;
  CertificateState certificate_state_;
  std::shared_ptr<credentials::TokenProvider> tokens_;
  std::unique_ptr<proxy::UpstreamPool> upstream_;
  std::unique_ptr<proxy::FirestoreProxy> proxy_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<transport::Server> data_server_;
  std::unique_ptr<transport::Server> admin_server_;
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
  mutable std::mutex reload_mutex_;
};

}  // namespace firewarden::app
