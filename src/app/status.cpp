// What the daemon reports about itself: /status, and the checks of /readyz
// and /startup.
#include <chrono>

#include "firewarden/app/daemon.hpp"
#include "firewarden/telemetry/time_format.hpp"

namespace firewarden::app {

namespace {

void clear_passing_details(std::vector<admin::ReadinessCheck>& checks) {
  for (auto& check : checks) {
    if (check.ok) check.detail.clear();
  }
}

}  // namespace

admin::ReadinessCheck Daemon::token_check() const {
  const bool token_ok = tokens_ && tokens_->ready();
  std::string token_detail;
  if (!token_ok && tokens_) {
    for (const auto& status : tokens_->status()) {
      if (!status.last_error.empty()) token_detail = status.principal + ": " + status.last_error;
    }
    if (token_detail.empty()) token_detail = "no usable token yet";
  }
  return {"token", token_ok, token_detail};
}

std::vector<admin::ReadinessCheck> Daemon::readiness() const {
  std::vector<admin::ReadinessCheck> checks;
  checks.push_back({"started", started_.load(), started_ ? "" : "starting"});
  checks.push_back({"policy", policies_.current() != nullptr, "no policy loaded"});
  if (certificate_watcher_) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    const bool valid = certificate_watcher_->not_after() > now;
    checks.push_back({"certificate", valid, valid ? "" : "serving certificate expired"});
  }
  // Without the token check a token outage still fails every data request
  // with 503 UNAVAILABLE naming it; only the pod stays in the endpoints.
  if (config_->admin.readiness_requires_token) checks.push_back(token_check());
  checks.push_back({"draining", !draining_, draining_ ? "shutting down" : ""});
  clear_passing_details(checks);
  return checks;
}

std::vector<admin::ReadinessCheck> Daemon::startup() const {
  std::vector<admin::ReadinessCheck> checks;
  checks.push_back({"started", started_.load(), "starting"});
  checks.push_back({"policy", policies_.current() != nullptr, "no policy loaded"});
  if (certificate_watcher_) {
    checks.push_back(
        {"certificate", certificate_watcher_->not_after() != 0, "serving certificate not loaded"});
  }
  // A first token, whatever admin.readiness_requires_token says: start-up
  // is not over before the data path could answer a request. Once one was
  // obtained for the base credential, a later outage is readiness's concern,
  // whether or not /startup was asked in between.
  auto token = token_check();
  if (!token.ok && tokens_) {
    for (const auto& status : tokens_->status()) {
      if (status.principal == "default" && status.expires_at) token.ok = true;
    }
  }
  checks.push_back(std::move(token));
  clear_passing_details(checks);
  return checks;
}

nlohmann::json Daemon::status() const {
  nlohmann::json policy = nullptr;
  if (const auto snapshot = policies_.current()) {
    policy = {{"file", config_->policy.file},
              {"generation", snapshot->generation},
              {"sha256", snapshot->sha256},
              {"loaded_at", telemetry::format_rfc3339(snapshot->loaded_at)},
              {"rules", snapshot->rules}};
  } else {
    policy = nlohmann::json::object();
  }
  const std::string last_error = policies_.last_error();
  policy["last_error"] = last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error);

  nlohmann::json tokens = nlohmann::json::array();
  if (tokens_) {
    for (const auto& token : tokens_->status()) {
      tokens.push_back(
          {{"principal", token.principal},
           {"expires_at", token.expires_at
                              ? nlohmann::json(telemetry::format_rfc3339(*token.expires_at))
                              : nlohmann::json(nullptr)},
           {"last_error", token.last_error.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(token.last_error)}});
    }
  }
  nlohmann::json certificate = nullptr;
  if (certificate_watcher_) {
    const auto state = certificate_watcher_->state();
    certificate = {{"file", config_->listener.tls->cert_file},
                   {"not_after", telemetry::format_rfc3339(std::chrono::system_clock::from_time_t(
                                     static_cast<std::time_t>(certificate_watcher_->not_after())))},
                   {"generation", state.generation},
                   {"sha256", state.sha256},
                   {"serial", state.serial},
                   {"loaded_at", telemetry::format_rfc3339(state.loaded_at)},
                   {"last_error", state.last_error.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(state.last_error)}};
  }
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - started_at_);
  return {{"version", FIREWARDEN_VERSION},
          {"uptime_seconds", uptime.count()},
          {"identity_mode", config::to_string(config_->identity.mode)},
          {"enforcement", config::to_string(config_->policy.enforcement)},
          {"upstream", config_->firestore.endpoint.url},
          {"draining", draining_.load()},
          {"policy", policy},
          {"certificate", certificate},
          {"tokens", tokens},
          {"connections", data_server_ ? data_server_->active_connections() : 0}};
}

}  // namespace firewarden::app
