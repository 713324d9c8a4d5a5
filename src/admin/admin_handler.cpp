#include "firewarden/admin/admin_handler.hpp"

#include "firewarden/telemetry/process_metrics.hpp"

namespace firewarden::admin {
namespace {

http::response<http::string_body> make_response(http::status status, unsigned version,
                                                std::string content_type, std::string body) {
  http::response<http::string_body> response{status, version};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

http::response<http::string_body> json_response(http::status status, unsigned version,
                                                const nlohmann::json& body) {
  return make_response(status, version, "application/json",
                       body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

// 200 when every check passes; else 503 naming each failing one.
http::response<http::string_body> checks_response(unsigned version,
                                                  const std::vector<ReadinessCheck>& checks,
                                                  const char* verdict) {
  nlohmann::json failing = nlohmann::json::object();
  for (const auto& check : checks) {
    if (!check.ok) failing[check.name] = check.detail;
  }
  const bool ok = failing.empty();
  return json_response(ok ? http::status::ok : http::status::service_unavailable, version,
                       {{verdict, ok}, {"failing", failing}});
}

}  // namespace

AdminHandler::AdminHandler(StatusSource& source, const telemetry::MetricCatalogue& metrics,
                           bool enable_quit)
    : source_(source), metrics_(metrics), enable_quit_(enable_quit) {}

http::response<http::string_body> AdminHandler::respond(const transport::Request& request) {
  const unsigned version = request.version();
  std::string_view path = request.target();
  path = path.substr(0, path.find('?'));
  const bool is_get = request.method() == http::verb::get || request.method() == http::verb::head;

  if (path == "/quitquitquit") {
    if (!enable_quit_) {
      return make_response(http::status::not_found, version, "text/plain", "not enabled\n");
    }
    if (request.method() != http::verb::post) {
      return make_response(http::status::method_not_allowed, version, "text/plain", "use POST\n");
    }
    source_.request_quit();
    return make_response(http::status::ok, version, "text/plain", "stopping\n");
  }
  if (!is_get) {
    return make_response(http::status::method_not_allowed, version, "text/plain", "use GET\n");
  }
  if (path == "/healthz" || path == "/livez") {
    // Liveness: the process answers. Never depends on Firestore or tokens.
    return make_response(http::status::ok, version, "text/plain", "ok\n");
  }
  if (path == "/startup") {
    if (started_up_) return checks_response(version, {}, "started");
    auto response = checks_response(version, source_.startup(), "started");
    if (response.result() == http::status::ok) started_up_ = true;
    return response;
  }
  if (path == "/readyz") return checks_response(version, source_.readiness(), "ready");
  if (path == "/status") return json_response(http::status::ok, version, source_.status());
  if (path == "/metrics") {
    // The process_* families are read from /proc now, as scrapes want them.
    telemetry::record_process_sample(metrics_);
    return make_response(http::status::ok, version, "text/plain; version=0.0.4; charset=utf-8",
                         metrics_.registry.render());
  }
  return make_response(http::status::not_found, version, "text/plain", "not found\n");
}

net::awaitable<bool> AdminHandler::handle(transport::Connection& /*connection*/,
                                          transport::Request& request,
                                          transport::ClientStream& client) {
  auto response = respond(request);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  client.tcp().expires_after(std::chrono::seconds(10));
  auto [error, written] = co_await client.visit([&](auto& stream) {
    return http::async_write(stream, response, net::as_tuple(net::use_awaitable));
  });
  co_return !error && response.keep_alive();
}

}  // namespace firewarden::admin
