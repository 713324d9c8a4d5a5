// The admin probes' answers, against a scripted status source: /livez is
// /healthz, /startup names what start-up waits for and stays 200 once it
// has been, /readyz follows every change.
#include "firewarden/admin/admin_handler.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using firewarden::admin::AdminHandler;
using firewarden::admin::ReadinessCheck;
using firewarden::admin::StatusSource;
namespace http = boost::beast::http;

namespace {

class ScriptedSource final : public StatusSource {
 public:
  std::vector<ReadinessCheck> ready_checks;
  std::vector<ReadinessCheck> startup_checks;
  mutable int startup_calls = 0;

  std::vector<ReadinessCheck> readiness() const override { return ready_checks; }
  std::vector<ReadinessCheck> startup() const override {
    ++startup_calls;
    return startup_checks;
  }
  nlohmann::json status() const override { return nlohmann::json::object(); }
  void request_quit() override {}
};

firewarden::transport::Request get(const std::string& target, http::verb method = http::verb::get) {
  return firewarden::transport::Request{method, target, 11};
}

nlohmann::json body_of(const http::response<http::string_body>& response) {
  return nlohmann::json::parse(response.body());
}

}  // namespace

TEST_CASE("admin: /livez answers exactly as /healthz") {
  ScriptedSource source;
  source.ready_checks = {{"token", false, "default: HTTP 500"}};
  source.startup_checks = source.ready_checks;
  firewarden::telemetry::Registry registry;
  const firewarden::telemetry::MetricCatalogue metrics(registry);
  AdminHandler handler(source, metrics, false);
  const auto healthz = handler.respond(get("/healthz"));
  const auto livez = handler.respond(get("/livez"));
  CHECK(livez.result() == http::status::ok);
  CHECK(livez.result() == healthz.result());
  CHECK(livez.body() == healthz.body());
  CHECK(livez[http::field::content_type] == healthz[http::field::content_type]);
  CHECK(handler.respond(get("/livez?verbose")).result() == http::status::ok);
  CHECK(handler.respond(get("/livez", http::verb::post)).result() ==
        http::status::method_not_allowed);
}

TEST_CASE("admin: /startup is 503 naming each missing piece, then 200 for good") {
  ScriptedSource source;
  source.startup_checks = {{"policy", true, ""}, {"token", false, "no usable token yet"}};
  firewarden::telemetry::Registry registry;
  const firewarden::telemetry::MetricCatalogue metrics(registry);
  AdminHandler handler(source, metrics, false);

  const auto waiting = handler.respond(get("/startup"));
  CHECK(waiting.result() == http::status::service_unavailable);
  CHECK(body_of(waiting) ==
        nlohmann::json{{"started", false}, {"failing", {{"token", "no usable token yet"}}}});

  source.startup_checks = {{"policy", true, ""}, {"token", true, ""}};
  const auto started = handler.respond(get("/startup"));
  CHECK(started.result() == http::status::ok);
  CHECK(body_of(started) ==
        nlohmann::json{{"started", true}, {"failing", nlohmann::json::object()}});

  // A later token outage fails readiness, never start-up again.
  const int calls = source.startup_calls;
  source.startup_checks = {{"token", false, "default: HTTP 503"}};
  source.ready_checks = source.startup_checks;
  CHECK(handler.respond(get("/startup")).result() == http::status::ok);
  CHECK(source.startup_calls == calls);
  const auto readyz = handler.respond(get("/readyz"));
  CHECK(readyz.result() == http::status::service_unavailable);
  CHECK(body_of(readyz)["failing"]["token"] == "default: HTTP 503");
}

TEST_CASE("admin: /readyz is 200 only while every check passes") {
  ScriptedSource source;
  firewarden::telemetry::Registry registry;
  const firewarden::telemetry::MetricCatalogue metrics(registry);
  AdminHandler handler(source, metrics, false);
  source.ready_checks = {{"started", true, ""}, {"draining", true, ""}};
  CHECK(handler.respond(get("/readyz")).result() == http::status::ok);
  source.ready_checks = {{"started", true, ""}, {"draining", false, "shutting down"}};
  const auto draining = handler.respond(get("/readyz"));
  CHECK(draining.result() == http::status::service_unavailable);
  CHECK(body_of(draining) ==
        nlohmann::json{{"ready", false}, {"failing", {{"draining", "shutting down"}}}});
}
