// What crosses the proxy (SPEC §6), observed with a recording upstream, and
// the admin endpoints and lifecycle of the running binary.
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

TEST_CASE("forwarding: client credentials and unlisted headers never reach upstream") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  HttpRequestSpec spec{"GET",
                       fw.documents() + "/orders/o1?$alt=json%3Benum-encoding=int",
                       {},
                       {{"authorization", "Bearer client-secret"},
                        {"proxy-authorization", "Basic c2VjcmV0"},
                        {"x-forwarded-client-cert", "URI=spiffe://cluster.local/ns/x/sa/y"},
                        {"x-goog-user-project", "someone-elses-billing"},
                        {"x-goog-api-key", "AIza-secret"},
                        {"connection", "keep-alive, x-custom-hop"},
                        {"x-custom-hop", "1"},
                        {"x-goog-api-client", "gl-node/20"},
                        {"traceparent", traceparent},
                        {"x-request-id", "req-123"}}};
  const auto response = fw.request(spec);
  REQUIRE(response.status == 200);
  CHECK(response.headers.at("x-request-id") == "req-123");
  CHECK(response.headers.count("x-hop") == 0);  // named in upstream's Connection
  CHECK(response.headers.at("x-upstream-secret") == "must-pass-through");

  const auto requests = upstream.requests();
  REQUIRE(requests.size() == 1);
  const auto& seen = requests.front();
  CHECK(seen.target == fw.documents() + "/orders/o1?alt=json%3Benum-encoding%3Dint");
  CHECK(seen.headers.count("authorization") == 1);
  CHECK(seen.headers.find("authorization")->second == "Bearer owner");
  for (const std::string dropped : {"proxy-authorization", "x-forwarded-client-cert",
                                    "x-goog-user-project", "x-goog-api-key", "x-custom-hop"}) {
    CAPTURE(dropped);
    CHECK(seen.headers.count(dropped) == 0);
  }
  CHECK(seen.headers.find("x-goog-api-client")->second == "gl-node/20");
  // The trace goes on with firewarden's span as the parent upstream sees.
  const std::string sent_traceparent = seen.headers.find("traceparent")->second;
  CHECK(std::regex_match(sent_traceparent,
                         std::regex("00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01")));
  CHECK(sent_traceparent != traceparent);
  CHECK(seen.headers.find("x-request-id")->second == "req-123");
  CHECK(seen.headers.find("host")->second == "127.0.0.1:" + std::to_string(upstream.port()));

  // The access line (written once the response is out) carries the trace id
  // and never the client's secret.
  CHECK(eventually(
      [&] { return fw.access_log().find("0af7651916cd43dd8448eb211c80319c") != std::string::npos; },
      std::chrono::seconds(5)));
  CHECK_THAT(fw.access_log(), Catch::Contains("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\""));
  CHECK_THAT(fw.access_log() + fw.logs(), !Catch::Contains("client-secret"));
}

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The values of header `name` (lowercase) upstream received.
std::vector<std::string> values_of(const UpstreamRequest& request, const std::string& name) {
  std::vector<std::string> values;
  const auto [first, last] = request.headers.equal_range(name);
  for (auto it = first; it != last; ++it) values.push_back(it->second);
  return values;
}

}  // namespace

TEST_CASE("forwarding: routing headers are rebuilt from the checked request, never as sent") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string database = "projects/" + fw.options().project + "/databases/(default)";
  const std::string encoded = "projects%2F" + fw.options().project + "%2Fdatabases%2F(default)";
  const std::string rebuilt_params = "database=" + encoded;
  struct Row {
    const char* what;
    Headers sent;
    std::vector<std::string> prefix;  // what upstream must receive
    std::vector<std::string> params;
  };
  const std::vector<Row> rows = {
      {"the Node SDK's pair",
       {{"google-cloud-resource-prefix", database},
        {"x-goog-request-params", "database=" + encoded}},
       {database},
       {rebuilt_params}},
      {"name and an extra collection_id: only the database goes on",
       {{"x-goog-request-params",
         "name=" + encoded + "%2Fdocuments%2Forders%2Fo1&collection_id=anything"}},
       {},
       {rebuilt_params}},
      {"as Python's api-core encodes it",
       {{"X-Goog-Request-Params", "name=" + database + "/documents/orders/o1"}},
       {},
       {rebuilt_params}},
      {"an encoded (default)",
       {{"x-goog-request-params",
         "database=projects%2F" + fw.options().project + "%2Fdatabases%2F%28default%29"}},
       {},
       {rebuilt_params}},
      {"the prefix alone", {{"google-cloud-resource-prefix", database}}, {database}, {}},
      {"neither", {}, {}, {}},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const auto before = upstream.requests().size();
    REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, row.sent}).status == 200);
    const auto requests = upstream.requests();
    REQUIRE(requests.size() == before + 1);
    CHECK(values_of(requests.back(), "google-cloud-resource-prefix") == row.prefix);
    CHECK(values_of(requests.back(), "x-goog-request-params") == row.params);
  }
}

TEST_CASE("forwarding: hostile routing headers are refused and nothing reaches upstream") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string project = fw.options().project;
  const std::string database = "projects/" + project + "/databases/(default)";
  const std::string encoded = "projects%2F" + project + "%2Fdatabases%2F(default)";
  const std::vector<std::pair<const char*, Headers>> rows = {
      {"other project",
       {{"x-goog-request-params", "database=projects%2Fother%2Fdatabases%2F(default)"}}},
      {"other database", {{"x-goog-request-params", "database=" + encoded + "x"}}},
      {"dot-dot out of the database",
       {{"x-goog-request-params", "database=" + encoded + "%2F..%2Fother"}}},
      {"dot-dot in a name",
       {{"x-goog-request-params", "name=" + encoded + "%2F..%2Fother%2Fdocuments%2Forders%2Fo1"}}},
      {"double-encoded",
       {{"x-goog-request-params",
         "database=projects%252F" + project + "%252Fdatabases%252F(default)"}}},
      {"key twice", {{"x-goog-request-params", "database=" + encoded + "&database=" + encoded}}},
      {"unknown key", {{"x-goog-request-params", "database=" + encoded + "&key=AIza-secret"}}},
      {"malformed escape", {{"x-goog-request-params", "database=" + encoded + "%2"}}},
      {"params twice",
       {{"x-goog-request-params", "database=" + encoded},
        {"x-goog-request-params", "database=" + encoded}}},
      {"prefix of another project",
       {{"google-cloud-resource-prefix", "projects/other/databases/(default)"}}},
      {"prefix with a suffix", {{"google-cloud-resource-prefix", database + "/../other"}}},
      {"prefix twice",
       {{"google-cloud-resource-prefix", database}, {"google-cloud-resource-prefix", database}}},
  };
  for (const auto& [what, headers] : rows) {
    INFO(what);
    const auto response = fw.request({"GET", fw.documents() + "/orders/o1", {}, headers});
    CHECK(response.status == 400);
    CHECK_THAT(response.body, Catch::Contains("INVALID_ARGUMENT"));
  }
  CHECK(upstream.requests().empty());
}

TEST_CASE("forwarding: Python's REST client (requests, %24alt) reads a document") {
  FirewardenInstance fw;
  emulator_put(fw.options().project, "orders/py1",
               R"({"n":{"stringValue":"from-python"},"m":{"stringValue":"masked-out"}})");
  TempDir dir;
  const std::string script =
      std::string(FIREWARDEN_SOURCE_DIR) + "/tests/e2e/python/rest_get_document.py";
  ChildProcess python({"/usr/bin/python3", script, "http://127.0.0.1:" + std::to_string(fw.port()),
                       fw.options().project, "orders/py1", "n"},
                      dir.path() + "/out", dir.path() + "/err");
  const auto exit_code = python.wait_for_exit(std::chrono::seconds(30));
  std::ifstream errors(dir.path() + "/err");
  INFO("python3 stderr: " << std::string(std::istreambuf_iterator<char>(errors), {}));
  REQUIRE(exit_code == 0);
  std::ifstream out(dir.path() + "/out");
  const json result = json::parse(out, nullptr, false);
  REQUIRE(result.is_object());
  // Encoded as that client encodes it, and answered by the emulator.
  CHECK_THAT(result.at("url").get<std::string>(),
             Catch::EndsWith("?mask.fieldPaths=n&%24alt=json%3Benum-encoding%3Dint"));
  CHECK(result.at("status") == 200);
  const json document = json::parse(result.at("body").get<std::string>(), nullptr, false);
  CHECK(document["fields"]["n"]["stringValue"] == "from-python");
  CHECK_FALSE(document["fields"].contains("m"));  // the mask was read and applied
}

TEST_CASE("admin: health, readiness, status and metrics") {
  FirewardenInstance fw;
  CHECK(fw.admin("/healthz").status == 200);
  const auto ready = fw.admin("/readyz");
  CHECK(ready.status == 200);
  CHECK_THAT(ready.body, Catch::Contains("\"ready\": true"));
  fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
  // Counted once the response is out, so possibly just after the client has it.
  const std::string counted =
      "firewarden_requests_total{method=\"get\",decision=\"allow\",code=\"404\",protocol=\"rest\"} "
      "1";
  CHECK(eventually([&] { return fw.admin("/metrics").body.find(counted) != std::string::npos; },
                   std::chrono::seconds(5)));
  CHECK_THAT(fw.admin("/metrics").body, Catch::Contains("firewarden_build_info{version=\""));
  const auto status = fw.admin("/status").body;
  CHECK_THAT(status, Catch::Contains("\"generation\": 1"));
  CHECK_THAT(status, Catch::Contains("\"sha256\": \""));
  CHECK(fw.admin("/nope").status == 404);
  // JSON diagnostics (they reach the log through a writer thread: wait, bounded)
  CHECK(eventually([&] { return fw.logs().find("\"level\":\"info\"") != std::string::npos; },
                   std::chrono::seconds(3)));
}

TEST_CASE("lifecycle: SIGTERM stops gracefully with exit 0, readiness first turns 503") {
  FirewardenInstance fw({.limits = "{shutdown_delay: 500ms, shutdown_grace: 3s}"});
  fw.process().signal(SIGTERM);
  CHECK(eventually([&] { return fw.admin("/readyz").status == 503; }, std::chrono::seconds(2)));
  // Still serving during shutdown_delay.
  CHECK(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 404);
  CHECK(fw.process().wait_for_exit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("lifecycle: POST /quitquitquit stops gracefully") {
  FirewardenInstance fw;
  CHECK(fw.admin("/quitquitquit", "POST").status == 200);
  CHECK(fw.process().wait_for_exit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("reload: a new policy applies without restart, a bad one keeps the last good") {
  TempDir dir;
  const std::string allow_orders =
      "version: 1\nrules:\n  - name: r1\n    subjects: {namespaces: [orders]}\n"
      "    collections: [orders]\n    actions: [read]\n";
  const std::string policy = dir.write("policy.yaml", allow_orders);
  FirewardenInstance fw({.policy_file = policy});
  const HttpRequestSpec get_item{"GET", fw.documents() + "/items/i1", {}, {}};
  CHECK(fw.request(get_item).status == 403);

  dir.write("policy.yaml", allow_orders +
                               "  - name: r2\n    subjects: {namespaces: [orders]}\n"
                               "    collections: [items]\n    actions: [read]\n");
  CHECK(eventually([&] { return fw.request(get_item).status == 404; }, std::chrono::seconds(5)));

  dir.write("policy.yaml", "version: 1\nrules:\n  - name: r1\n    bogus: true\n");
  CHECK(eventually(
      [&] {
        return fw.admin("/status").body.find("\"last_error\": \"" + policy) != std::string::npos;
      },
      std::chrono::seconds(5)));
  CHECK(fw.request(get_item).status == 404);  // last good policy still in force
  CHECK_THAT(fw.admin("/metrics").body,
             Catch::Contains("firewarden_policy_reloads_total{result=\"failure\"} 1"));
}
