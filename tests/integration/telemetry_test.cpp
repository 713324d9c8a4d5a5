// What an operator sees (SPEC §9, §10): after a scripted mix of allowed,
// denied, dry-run, malformed, upstream-failing requests and refused TLS
// handshakes against the real binary, /metrics is strictly valid Prometheus
// text with every SPEC §9 family, bounded labels and sensible buckets; every
// access line has the SPEC §10 fields; and no log holds a token, key or
// certificate.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "fake_google/fake_google.hpp"
#include "support/admin_views.hpp"
#include "support/file_facts.hpp"
#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/recording_upstream.hpp"
#include "support/scripted_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kOrdersId = "spiffe://cluster.local/ns/orders/sa/orders-api";
constexpr const char* kAnalyticsId = "spiffe://cluster.local/ns/analytics/sa/reporter";
constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string random_hex(std::size_t digits) {
  std::random_device device;
  std::string out;
  while (out.size() < digits) out += "0123456789abcdef"[device() % 16];
  return out;
}

HttpRequestSpec with_id(HttpRequestSpec spec, const std::string& request_id) {
  spec.headers.emplace_back("x-request-id", request_id);
  return spec;
}

HttpRequestSpec commit(const FirewardenInstance& fw, const std::string& path) {
  return json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                   fw.document_name(path) +
                                                   R"(","fields":{"n":{"integerValue":"1"}}}}]})");
}

// Access lines by request id (and the TLS handshake lines apart), once at
// least `lines` lines are written.
struct AccessLines {
  std::map<std::string, json> by_request_id;
  std::vector<json> handshakes;
  std::vector<json> all;
};

AccessLines access_lines(const FirewardenInstance& fw, std::size_t lines) {
  eventually(
      [&] {
        const auto text = fw.access_log();
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines;
      },
      std::chrono::seconds(5));
  AccessLines out;
  std::istringstream in(fw.access_log());
  for (std::string line; std::getline(in, line);) {
    const json parsed = json::parse(line);  // every stdout line is JSON
    out.all.push_back(parsed);
    if (parsed.at("log") == "tls_handshake") {
      out.handshakes.push_back(parsed);
    } else {
      out.by_request_id[parsed.at("request_id").get<std::string>()] = parsed;
    }
  }
  return out;
}

// The base64 body lines of a PEM file (its secret or identifying content).
std::vector<std::string> pem_body_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file_bytes(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && !line.starts_with("-----")) lines.push_back(line);
  }
  return lines;
}

std::optional<std::string> promtool() {
  for (const char* path : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("telemetry: metrics, access lines and logs after a scripted mix of requests") {
  ScriptedUpstream upstream;
  const std::string token = "fw-static-token-" + random_hex(24);
  FirewardenInstance fw({.mode = "mtls",
                         .upstream = upstream.url(),
                         .credentials = "{type: static, token: " + token + "}"});
  const auto orders = client_tls("orders");
  const auto analytics = client_tls("analytics");

  // -- the mix ---------------------------------------------------------------
  auto allowed_get = with_id({"GET", fw.documents() + "/orders/o1", {}, {}}, "mix-allowed-get");
  allowed_get.headers.emplace_back("traceparent", kTraceparent);
  allowed_get.headers.emplace_back("user-agent", "mix-client/1.0 (\"quoted\")");
  allowed_get.headers.emplace_back("authorization", "Bearer client-secret-" + token);
  CHECK(fw.request(allowed_get, orders).status == 200);
  CHECK(fw.request(with_id(commit(fw, "orders/o2"), "mix-allowed-commit"), orders).status == 200);
  CHECK(fw.request(with_id(commit(fw, "orders/o3"), "mix-denied-commit"), analytics).status == 403);
  CHECK(fw.request(with_id({"GET", fw.documents() + "/orders/o1/payments/p1", {}, {}},
                           "mix-dry-run-get"),
                   analytics)
            .status == 200);
  CHECK(fw.request(with_id({"GET", fw.documents() + "/orders/o1?bogus=1", {}, {}},
                           "mix-malformed-query"),
                   orders)
            .status == 400);
  CHECK(fw.request(with_id(json_post(fw.documents() + ":commit", "{\"writes\": ["),
                           "mix-malformed-body"),
                   orders)
            .status == 400);
  const auto broken = fw.request(
      with_id({"GET", fw.documents() + "/orders/o1/broken/b1", {}, {}}, "mix-upstream-broken"),
      orders);
  CHECK(broken.status >= 500);
  // Refused handshakes: an unknown CA, no client certificate, plaintext HTTP.
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}, client_tls("rogue")).status ==
        0);
  CHECK(
      fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}, TlsClientFiles{cert("ca"), "", ""})
          .status == 0);
  raw_exchange(fw.port(), "GET / HTTP/1.1\r\nhost: x\r\n\r\n", std::chrono::seconds(2));
  // Four requests went upstream (two allowed, the dry-run one, the broken one).
  CHECK(upstream.received() == 4);

  // -- access lines (SPEC §10) -------------------------------------------------
  const auto lines = access_lines(fw, 10);
  const std::vector<std::string> fields{"time",
                                        "request_id",
                                        "trace_id",
                                        "peer",
                                        "identity",
                                        "namespace",
                                        "service_account",
                                        "method",
                                        "required",
                                        "decision",
                                        "rule",
                                        "dry_run",
                                        "status",
                                        "upstream_status",
                                        "bytes_in",
                                        "bytes_out",
                                        "duration_ms",
                                        "upstream_ms",
                                        "impersonated",
                                        "http_method",
                                        "protocol",
                                        "document_paths",
                                        "user_agent",
                                        "peer_certificate_serial",
                                        "peer_certificate_sha256",
                                        "upstream_reused",
                                        "error"};
  for (const auto& [id, line] : lines.by_request_id) {
    CAPTURE(line.dump());
    for (const auto& field : fields) CHECK(line.contains(field));
    CHECK(std::regex_match(line["trace_id"].get<std::string>(), std::regex("[0-9a-f]{32}")));
    CHECK(std::set<std::string>{"allow", "deny", "error"}.count(line["decision"]) == 1);
    // A field without a value is null, never "".
    for (const auto& [key, value] : line.items()) CHECK(value != "");
    // Every request came over mtls with a client certificate.
    CHECK(std::regex_match(line["peer_certificate_sha256"].get<std::string>(),
                           std::regex("[0-9a-f]{64}")));
    CHECK(std::regex_match(line["peer_certificate_serial"].get<std::string>(),
                           std::regex("[0-9a-f]+")));
  }
  REQUIRE(lines.by_request_id.size() == 7);

  const auto& get = lines.by_request_id.at("mix-allowed-get");
  CHECK(get["decision"] == "allow");
  CHECK(get["rule"] == "orders-own-orders");
  CHECK(get["trace_id"] == kTraceId);
  CHECK(get["identity"] == kOrdersId);
  CHECK(get["namespace"] == "orders");
  CHECK(get["service_account"] == "orders-api");
  CHECK(get["method"] == "get");
  CHECK(get["required"] == json::array({{{"action", "get"}, {"collection", "orders"}}}));
  CHECK(get["status"] == 200);
  CHECK(get["upstream_status"] == 200);
  CHECK(get["upstream_ms"].is_number());
  CHECK(get["bytes_out"].get<int>() > 0);
  CHECK(get["impersonated"] == "orders-rw@my-project.iam.gserviceaccount.com");
  CHECK_THAT(get["peer"].get<std::string>(), Catch::StartsWith("127.0.0.1:"));
  CHECK(get["http_method"] == "GET");
  CHECK(get["document_paths"] == json::array({"orders/o1"}));
  CHECK(get["user_agent"] == "mix-client/1.0 (\"quoted\")");
  CHECK(get["upstream_reused"].is_boolean());
  CHECK(get["error"].is_null());
  CHECK(get["peer_certificate_sha256"] == certificate_sha256(cert("orders")));
  std::string serial = certificate_serial(cert("orders"));  // upper case, as openssl prints it
  for (char& c : serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(get["peer_certificate_serial"] == serial);
  CHECK(lines.by_request_id.at("mix-allowed-commit")["document_paths"] ==
        json::array({"orders/o2"}));
  CHECK(lines.by_request_id.at("mix-allowed-commit")["http_method"] == "POST");

  const auto& denied = lines.by_request_id.at("mix-denied-commit");
  CHECK(denied["decision"] == "deny");
  CHECK(denied["status"] == 403);
  CHECK(denied["rule"] == "analytics-never-writes");
  CHECK(denied["identity"] == kAnalyticsId);
  CHECK(denied["upstream_status"].is_null());
  CHECK((denied["required"] == json::array({{{"action", "update"}, {"collection", "orders"}}}) ||
         denied["required"] == json::array({{{"action", "create"}, {"collection", "orders"}},
                                            {{"action", "update"}, {"collection", "orders"}}})));

  const auto& dry_run = lines.by_request_id.at("mix-dry-run-get");
  CHECK(dry_run["decision"] == "allow");
  CHECK(dry_run["rule"] == "analytics-read-orders");
  CHECK(dry_run["dry_run"] ==
        json::array({{{"rule", "analytics-no-payments"}, {"would", "deny"}}}));
  CHECK(dry_run["impersonated"] == "analytics-ro@my-project.iam.gserviceaccount.com");

  for (const std::string id : {"mix-malformed-query", "mix-malformed-body"}) {
    CAPTURE(id);
    CHECK(lines.by_request_id.at(id)["decision"] == "error");
    CHECK(lines.by_request_id.at(id)["status"] == 400);
    CHECK(lines.by_request_id.at(id)["upstream_status"].is_null());
    CHECK(lines.by_request_id.at(id)["upstream_reused"].is_null());
    CHECK(lines.by_request_id.at(id)["document_paths"].is_null());  // never classified
    CHECK(lines.by_request_id.at(id)["rule"].is_null());
  }
  const auto& failed = lines.by_request_id.at("mix-upstream-broken");
  CHECK(failed["decision"] == "error");
  CHECK(failed["status"] == broken.status);
  CHECK(failed["rule"] == "orders-own-orders");

  // TLS handshake failures are logged in the same stream.
  std::multiset<std::string> reasons;
  for (const auto& line : lines.handshakes) {
    CHECK_THAT(line["peer"].get<std::string>(), Catch::StartsWith("127.0.0.1:"));
    reasons.insert(line["error"].get<std::string>());
  }
  CAPTURE(reasons);
  CHECK(reasons.count("unknown_ca") == 1);
  CHECK(reasons.count("no_client_certificate") == 1);
  CHECK(reasons.count("plaintext_http") == 1);

  // -- metrics (SPEC §9) -------------------------------------------------------
  const auto metrics = fw.admin("/metrics");
  if (metrics.status != 200) FAIL("no /metrics: " << metrics.error << "\n" << fw.logs());
  CHECK_THAT(metrics.headers.at("content-type"), Catch::StartsWith("text/plain; version=0.0.4"));
  const auto parsed = prometheus::parse(metrics.body);
  if (const auto* error = std::get_if<std::string>(&parsed)) FAIL(*error << "\n" << metrics.body);
  const auto& exposition = std::get<prometheus::Exposition>(parsed);

  const std::map<std::string, std::pair<std::string, std::set<std::string>>> spec{
      {"firewarden_requests_total", {"counter", {"method", "decision", "code", "protocol"}}},
      {"firewarden_request_duration_seconds", {"histogram", {"method", "decision"}}},
      {"firewarden_upstream_duration_seconds", {"histogram", {}}},
      {"firewarden_rule_matches_total", {"counter", {"rule", "mode"}}},
      {"firewarden_policy_generation", {"gauge", {}}},
      {"firewarden_policy_reloads_total", {"counter", {"result"}}},
      {"firewarden_token_refreshes_total", {"counter", {"result", "principal"}}},
      {"firewarden_token_expiry_timestamp_seconds", {"gauge", {"principal"}}},
      {"firewarden_certificate_expiry_timestamp_seconds", {"gauge", {}}},
      {"firewarden_connections_active", {"gauge", {}}},
      {"firewarden_tls_handshake_failures_total", {"counter", {"reason"}}},
      {"firewarden_build_info", {"gauge", {"version", "revision"}}},
      {"firewarden_enforcement_mode", {"gauge", {"mode"}}},
      {"firewarden_policy_info", {"gauge", {"sha256"}}},
      {"firewarden_policy_last_reload_success_timestamp_seconds", {"gauge", {}}},
      {"firewarden_dry_run_verdicts_total", {"counter", {"rule", "verdict"}}},
      {"process_cpu_seconds_total", {"counter", {}}},
      {"process_resident_memory_bytes", {"gauge", {}}},
      {"process_virtual_memory_bytes", {"gauge", {}}},
      {"process_open_fds", {"gauge", {}}},
      {"process_max_fds", {"gauge", {}}},
      {"process_start_time_seconds", {"gauge", {}}},
  };
  for (const auto& [name, expected] : spec) {
    CAPTURE(name);
    const auto* family = exposition.family(name);
    REQUIRE(family != nullptr);
    CHECK(family->type == expected.first);
    for (const auto& sample : family->samples) {
      std::set<std::string> labels;
      for (const auto& [label, value] : sample.labels) {
        if (label != "le") labels.insert(label);
      }
      CHECK(labels == expected.second);
    }
  }

  // Bounded labels: closed vocabularies, no paths, ids or identities.
  std::size_t series = 0;
  for (const auto& family : exposition.families) {
    for (const auto& sample : family.samples) {
      ++series;
      for (const auto& [label, value] : sample.labels) {
        CAPTURE(family.name, label, value);
        CHECK(value.find('/') == std::string::npos);
        CHECK(value.find("mix-") == std::string::npos);
        CHECK(value.find("spiffe") == std::string::npos);
      }
    }
  }
  CHECK(series < 200);
  for (const auto& sample : exposition.family("firewarden_requests_total")->samples) {
    CAPTURE(sample.labels);
    CHECK(std::set<std::string>{"allow", "deny", "error"}.count(sample.labels.at("decision")) == 1);
    CHECK(std::regex_match(sample.labels.at("code"), std::regex("[1-5][0-9][0-9]")));
    CHECK(std::regex_match(sample.labels.at("method"), std::regex("[a-z_]+")));
    CHECK(sample.labels.at("protocol") == "rest");
  }
  for (const auto& sample : exposition.family("firewarden_rule_matches_total")->samples) {
    CHECK(std::set<std::string>{"enforce", "dry-run"}.count(sample.labels.at("mode")) == 1);
  }
  auto count = [&](const std::string& name, const prometheus::Labels& labels) {
    double total = 0;
    for (const auto& sample : exposition.family(name)->samples) {
      const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& wanted) {
        return sample.labels.at(wanted.first) == wanted.second;
      });
      if (match) total += sample.value;
    }
    return total;
  };
  CHECK(count("firewarden_requests_total", {{"decision", "allow"}, {"code", "200"}}) == 3);
  CHECK(count("firewarden_requests_total", {{"decision", "deny"}, {"code", "403"}}) == 1);
  CHECK(count("firewarden_requests_total", {{"decision", "error"}, {"code", "400"}}) == 2);
  CHECK(count("firewarden_requests_total", {{"code", std::to_string(broken.status)}}) == 1);
  CHECK(count("firewarden_rule_matches_total",
              {{"rule", "analytics-never-writes"}, {"mode", "enforce"}}) == 1);
  CHECK(count("firewarden_rule_matches_total",
              {{"rule", "analytics-no-payments"}, {"mode", "dry-run"}}) == 1);
  // The dry-run rule's verdict, counted like Envoy's shadow_denied.
  CHECK(count("firewarden_dry_run_verdicts_total",
              {{"rule", "analytics-no-payments"}, {"verdict", "deny"}}) == 1);
  CHECK(count("firewarden_dry_run_verdicts_total", {{"verdict", "allow"}}) == 0);
  CHECK(count("firewarden_tls_handshake_failures_total", {{"reason", "unknown_ca"}}) == 1);
  CHECK(count("firewarden_tls_handshake_failures_total", {{"reason", "no_client_certificate"}}) ==
        1);
  CHECK(count("firewarden_tls_handshake_failures_total", {{"reason", "plaintext_http"}}) == 1);
  CHECK(exposition.value("firewarden_policy_generation") == 1);
  CHECK(exposition.value("firewarden_build_info").value_or(0) == 1);
  const auto now = static_cast<double>(std::time(nullptr));
  const auto not_after = exposition.value("firewarden_certificate_expiry_timestamp_seconds");
  REQUIRE(not_after);
  CHECK(*not_after > now + 300 * 86400);  // dev certificates live a year
  CHECK(*not_after < now + 400 * 86400);

  // The policy in force, by its digest (as /status shows it), loaded just now.
  const auto status = json::parse(fw.admin("/status").body);
  const std::string sha256 = status["policy"]["sha256"].get<std::string>();
  REQUIRE(std::regex_match(sha256, std::regex("[0-9a-f]{64}")));
  CHECK(exposition.family("firewarden_policy_info")->samples.size() == 1);
  CHECK(exposition.value("firewarden_policy_info", {{"sha256", sha256}}) == 1);
  const auto reloaded = exposition.value("firewarden_policy_last_reload_success_timestamp_seconds");
  REQUIRE(reloaded);
  CHECK(*reloaded > now - 300);
  CHECK(*reloaded <= now + 1);
  CHECK(exposition.value("firewarden_enforcement_mode", {{"mode", "enforce"}}) == 1);
  CHECK(exposition.value("firewarden_enforcement_mode", {{"mode", "audit"}}) == 0);
  // The static token is never refreshed: no refresh series, whatever the principal.
  CHECK(exposition.family("firewarden_token_refreshes_total")->samples.empty());

  // process_*, read from /proc at the scrape: this very process.
  const auto start_time = exposition.value("process_start_time_seconds");
  REQUIRE(start_time);
  CHECK(*start_time > now - 300);
  CHECK(*start_time <= now + 1);
  CHECK(exposition.value("process_cpu_seconds_total").value_or(-1) >= 0);
  CHECK(exposition.value("process_resident_memory_bytes").value_or(0) > 1024 * 1024);
  CHECK(exposition.value("process_virtual_memory_bytes").value_or(0) >=
        exposition.value("process_resident_memory_bytes").value_or(0));
  // At least stdin/out/err and the two listeners.
  CHECK(exposition.value("process_open_fds").value_or(0) >= 5);
  CHECK(exposition.value("process_max_fds").value_or(0) >=
        exposition.value("process_open_fds").value_or(0));

  // Histograms: one per request, by the same method and decision as the
  // request counter, buckets from below a millisecond to tens of seconds.
  double durations = 0;
  std::set<std::pair<std::string, std::string>> duration_series;
  for (const auto& sample : exposition.family("firewarden_request_duration_seconds")->samples) {
    if (sample.name != "firewarden_request_duration_seconds_count") continue;
    durations += sample.value;
    duration_series.emplace(sample.labels.at("method"), sample.labels.at("decision"));
    CHECK(count("firewarden_requests_total", {{"method", sample.labels.at("method")},
                                              {"decision", sample.labels.at("decision")}}) ==
          sample.value);
  }
  CHECK(durations == count("firewarden_requests_total", {}));
  CHECK(duration_series.count({"get", "allow"}) == 1);
  CHECK(duration_series.count({"commit", "deny"}) == 1);
  CHECK(duration_series.count({"unknown", "error"}) == 1);
  CHECK(exposition.value("firewarden_upstream_duration_seconds_count").value_or(0) >= 3);
  for (const std::string name :
       {"firewarden_request_duration_seconds", "firewarden_upstream_duration_seconds"}) {
    CAPTURE(name);
    std::vector<double> bounds;
    for (const auto& sample : exposition.family(name)->samples) {
      if (sample.name == name + "_bucket" && sample.labels.at("le") != "+Inf") {
        bounds.push_back(std::stod(sample.labels.at("le")));
      }
    }
    REQUIRE(bounds.size() >= 10);
    CHECK(bounds.front() <= 0.0005);
    CHECK(bounds.back() >= 10);
    CHECK(bounds.back() <= 120);
  }

  // promtool, when installed (Debian: `prometheus`), agrees.
  if (const auto tool = promtool()) {
    TempDir dir;
    const std::string file = dir.write("metrics.txt", metrics.body);
    ChildProcess check({*tool, "check", "metrics"}, dir.path() + "/out", dir.path() + "/err", {},
                       file);
    CHECK(check.wait_for_exit(std::chrono::seconds(20)) == 0);
    CHECK(read_file_bytes(dir.path() + "/out") + read_file_bytes(dir.path() + "/err") == "");
  } else {
    WARN("promtool not installed: only the strict parser checked /metrics");
  }

  // -- secrets never logged ----------------------------------------------------
  // A reload and a graceful stop log more; scan everything written.
  fw.process().signal(SIGHUP);
  REQUIRE(fw.stop() == 0);
  const std::string logs = fw.access_log() + fw.logs();
  CHECK(logs.find(token) == std::string::npos);  // also inside the client's header
  CHECK(logs.find("client-secret") == std::string::npos);
  for (const std::string& pem :
       {certs_dir() + "/server.key", certs_dir() + "/orders.key", certs_dir() + "/analytics.key",
        certs_dir() + "/rogue.key", cert("server"), cert("ca"), cert("orders"), cert("analytics"),
        cert("rogue")}) {
    for (const auto& line : pem_body_lines(pem)) {
      CAPTURE(pem, line);
      CHECK(logs.find(line) == std::string::npos);
    }
  }
  CHECK(logs.find("PRIVATE KEY") == std::string::npos);
  CHECK(logs.find("BEGIN CERTIFICATE") == std::string::npos);
}

TEST_CASE("telemetry: x-request-id is kept or created and returned, traceparent validated") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string get = fw.documents() + "/orders/o1";

  // Given and acceptable: passed on and returned unchanged.
  auto response = fw.request({"GET", get, {}, {{"x-request-id", "req-abc.123_X"}}});
  REQUIRE(response.status == 200);
  CHECK(response.headers.at("x-request-id") == "req-abc.123_X");
  CHECK(upstream.requests().back().header("x-request-id") == "req-abc.123_X");

  // Absent: created, sent upstream and returned, the same id.
  response = fw.request({"GET", get, {}, {}});
  REQUIRE(response.status == 200);
  const std::string created = response.headers.at("x-request-id");
  CHECK(std::regex_match(created, std::regex("[0-9a-f]{32}")));
  CHECK(upstream.requests().back().header("x-request-id") == created);
  // Also on answers firewarden writes itself (a denial), in its message too.
  response = fw.request(commit(fw, "payments/p1"));
  REQUIRE(response.status == 403);
  CHECK(std::regex_match(response.headers.at("x-request-id"), std::regex("[0-9a-f]{32}")));
  CHECK_THAT(response.body, Catch::Contains(response.headers.at("x-request-id")));

  // Unacceptable ids (injection, too long) are replaced, never echoed.
  for (const std::string& bad : {std::string("a b\"c"), std::string(200, 'x')}) {
    response = fw.request({"GET", get, {}, {{"x-request-id", bad}}});
    REQUIRE(response.status == 200);
    CHECK(response.headers.at("x-request-id") != bad);
    CHECK(std::regex_match(response.headers.at("x-request-id"), std::regex("[0-9a-f]{32}")));
  }

  // A valid traceparent keeps its trace id and flags; firewarden's own span
  // becomes the parent upstream sees, in traceparent and in
  // X-Cloud-Trace-Context (decimal span id), and the access line has both
  // spans. An invalid one is replaced by a new trace, whose trace id is the
  // access line's.
  const std::string valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  REQUIRE(fw.request({"GET", get, {}, {{"traceparent", valid}}}).status == 200);
  std::smatch forwarded;
  const std::string sent_traceparent = upstream.requests().back().header("traceparent");
  REQUIRE(std::regex_match(sent_traceparent, forwarded,
                           std::regex("00-0af7651916cd43dd8448eb211c80319c-([0-9a-f]{16})-01")));
  const std::string our_span = forwarded[1].str();
  CHECK(our_span != "b7ad6b7169203331");
  CHECK(upstream.requests().back().header("x-cloud-trace-context") ==
        "0af7651916cd43dd8448eb211c80319c/" + std::to_string(std::stoull(our_span, nullptr, 16)) +
            ";o=1");
  CHECK(eventually(
      [&] {
        return fw.access_log().find("\"span_id\":\"" + our_span +
                                    "\",\"parent_span_id\":\"b7ad6b7169203331\"") !=
               std::string::npos;
      },
      std::chrono::seconds(5)));
  // X-Cloud-Trace-Context alone is continued the same way.
  REQUIRE(fw.request({"GET",
                      get,
                      {},
                      {{"x-cloud-trace-context",
                        "4bf92f3577b34da6a3ce929d0e0e4736/13235353014750950193;o=1"}}})
              .status == 200);
  const std::string from_cloud = upstream.requests().back().header("traceparent");
  CHECK(std::regex_match(from_cloud,
                         std::regex("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01")));
  CHECK(from_cloud.find("b7ad6b7169203331") == std::string::npos);
  CHECK(eventually(
      [&] {
        return std::regex_search(
            fw.access_log(),
            std::regex(R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"[0-9a-f]{16}",)"
                       R"("parent_span_id":"b7ad6b7169203331")"));
      },
      std::chrono::seconds(5)));
  const std::regex shape("00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}");
  for (const std::string& invalid :
       {std::string("00-00000000000000000000000000000000-b7ad6b7169203331-01"),
        std::string("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"),
        std::string("garbage"),
        std::string("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01")}) {
    CAPTURE(invalid);
    response = fw.request({"GET", get, {}, {{"traceparent", invalid}}});
    REQUIRE(response.status == 200);
    const std::string sent = upstream.requests().back().header("traceparent");
    std::smatch match;
    REQUIRE(std::regex_match(sent, match, shape));
    CHECK(sent != invalid);
    CHECK(eventually(
        [&] {
          return fw.access_log().find("\"trace_id\":\"" + match[1].str() + "\"") !=
                 std::string::npos;
        },
        std::chrono::seconds(5)));
  }
  // No traceparent: one is created.
  REQUIRE(fw.request({"GET", get, {}, {}}).status == 200);
  CHECK(std::regex_match(upstream.requests().back().header("traceparent"), shape));
}

namespace {

// An RSA key pair (PEM private key, PEM public key) for a service account.
std::pair<std::string, std::string> rsa_key_pair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  };
  const std::string private_pem = pem(
      [&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
  const std::string public_pem = pem([&](BIO* bio) { PEM_write_bio_PUBKEY(bio, key); });
  EVP_PKEY_free(key);
  return {private_pem, public_pem};
}

}  // namespace

TEST_CASE("telemetry: a service account key, the tokens it buys and TLS keys are never logged") {
  boost::asio::io_context ioc;
  FakeGoogle google{ioc.get_executor()};
  auto work = boost::asio::make_work_guard(ioc);
  std::thread thread([&] { ioc.run(); });
  struct Join {
    std::function<void()> done;
    ~Join() { done(); }
  } join{[&] {
    google.stop();
    work.reset();
    ioc.stop();
    thread.join();
  }};

  const auto [private_pem, public_pem] = rsa_key_pair();
  google.set_service_account_public_key(public_pem);
  TempDir dir;
  const std::string key_id = "kid-" + random_hex(40);
  const json key_file = {{"type", "service_account"},
                         {"project_id", "my-project"},
                         {"private_key_id", key_id},
                         {"private_key", private_pem},
                         {"client_email", "firewarden@my-project.iam.gserviceaccount.com"},
                         {"client_id", "1234567890"},
                         {"token_uri", google.oauth_token_url()}};
  const std::string key_path = dir.write("key.json", key_file.dump(2));
  RecordingUpstream upstream(UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"});
  FirewardenInstance fw({.upstream = upstream.url(),
                         .credentials = "{type: service_account_key, file: " + key_path + "}",
                         .firestore_ca_file = cert("ca"),
                         .env = {{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", google.iam_endpoint()}}});

  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  REQUIRE(fw.request(commit(fw, "payments/p1")).status == 403);
  fw.process().signal(SIGHUP);
  REQUIRE(fw.stop() == 0);

  // What was at stake: the key signed an assertion, tokens were issued and
  // one of them (impersonated for the orders namespace) went upstream.
  const auto tokens = google.issued_tokens();
  REQUIRE(tokens.size() >= 2);
  const auto oauth = google.requests(Endpoint::oauth);
  REQUIRE(!oauth.empty());
  const std::string assertion = oauth.front().form().at("assertion");
  REQUIRE(upstream.requests().size() == 1);
  CHECK(upstream.requests().front().header("authorization") == "Bearer " + tokens.back());

  const std::string logs = fw.access_log() + fw.logs();
  // The scan reads real logs: both requests' lines and the token diagnostics.
  CHECK(std::count(logs.begin(), logs.end(), '\n') > 5);
  CHECK_THAT(fw.access_log(), Catch::Contains("\"status\":403"));
  CHECK_THAT(fw.logs(), Catch::Contains("firewarden@my-project.iam.gserviceaccount.com"));
  for (const auto& token : tokens) CHECK(logs.find(token) == std::string::npos);
  CHECK(logs.find(assertion) == std::string::npos);
  CHECK(logs.find(assertion.substr(assertion.rfind('.') + 1)) == std::string::npos);  // signature
  CHECK(logs.find(key_id) == std::string::npos);
  std::istringstream key_lines(private_pem);
  for (std::string line; std::getline(key_lines, line);) {
    if (line.starts_with("-----")) continue;
    CAPTURE(line);
    CHECK(logs.find(line) == std::string::npos);
  }
  for (const auto& line : pem_body_lines(certs_dir() + "/server.key")) {
    CHECK(logs.find(line) == std::string::npos);
  }
  CHECK(logs.find("PRIVATE KEY") == std::string::npos);
}
