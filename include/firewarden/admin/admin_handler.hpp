#pragma once
// The admin endpoints (SPEC §8), served by their own plaintext listener
// (loopback by default): /healthz (= /livez) /startup /readyz /status
// /metrics /quitquitquit.
#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "firewarden/net/server.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::admin {

struct ReadinessCheck {
  std::string name;  // "started", "policy", "certificate", "token", "draining"
  bool ok = false;
  std::string detail;  // why it fails (never a secret)
};

// What the daemon exposes to the admin endpoints.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual std::vector<ReadinessCheck> readiness() const = 0;
  // What start-up still waits for: policy, certificates and (where one is
  // needed) a first token. Asked only until every check has passed once.
  virtual std::vector<ReadinessCheck> startup() const = 0;
  virtual nlohmann::json status() const = 0;
  virtual void request_quit() = 0;  // graceful stop, as SIGTERM
};

class AdminHandler final : public transport::RequestHandler {
 public:
  AdminHandler(StatusSource& source, const telemetry::MetricCatalogue& metrics, bool enable_quit);

  net::awaitable<bool> handle(transport::Connection& connection, transport::Request& request,
                              transport::ClientStream& client) override;

  // The response for one request (separate from I/O, so it is unit-testable).
  http::response<http::string_body> respond(const transport::Request& request);

 private:
  StatusSource& source_;
  const telemetry::MetricCatalogue& metrics_;
  bool enable_quit_;
  // /startup stays 200 once it has been: a later outage is for /readyz, and
  // a startup probe that failed again would restart a working container.
  std::atomic<bool> started_up_{false};
};

}  // namespace firewarden::admin
