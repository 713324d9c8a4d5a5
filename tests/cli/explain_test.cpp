// `firewarden explain` (SPEC §1) against the example policy: the decision as
// JSON, exit 0 allow / 1 deny / 2 bad input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "offline_config.hpp"
#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;
using firewarden::testing::TempDir;
using firewarden::testing::write_offline_config;
using json = nlohmann::json;

namespace {

const std::string kPolicy = FIREWARDEN_SOURCE_DIR "/config/policy.example.yaml";
const std::string kDocs = "/v1/projects/my-project/databases/(default)/documents";
const std::string kNames = "projects/my-project/databases/(default)/documents";
const std::string kOrders = "spiffe://cluster.local/ns/orders/sa/default";
const std::string kAnalytics = "spiffe://cluster.local/ns/analytics/sa/reporter";

firewarden::testing::CommandResult explain(const std::string& identity, const std::string& request,
                                           const std::string& body = "",
                                           std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"explain", "--policy",  kPolicy, "--identity",
                                identity,  "--request", request};
  if (!body.empty()) {
    args.emplace_back("--body");
    args.emplace_back("-");
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return run_firewarden(args, {}, body);
}

json parse_output(const firewarden::testing::CommandResult& result) {
  INFO(result.out << result.err);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("explain: orders may commit writes to orders/*") {
  const auto result = explain(kOrders, "POST " + kDocs + ":commit",
                              R"({"writes":[{"update":{"name":")" + kNames +
                                  R"(/orders/o1","fields":{"total":{"integerValue":"3"}}}},)"
                                  R"({"delete":")" +
                                  kNames + R"(/orders/o2"}]})");
  CHECK(result.exit_code == 0);
  const json out = parse_output(result);
  CHECK(out["decision"] == "allow");
  CHECK(out["rule"] == "orders-own-orders");
  CHECK(out["method"] == "commit");
  CHECK(out["project"] == "my-project");
  CHECK(out["database"] == "(default)");
  CHECK(out["denied"].is_null());
  CHECK(out["impersonate"] == "orders-rw@my-project.iam.gserviceaccount.com");
  CHECK(out["identity"] == json{{"spiffe_id", kOrders},
                                {"trust_domain", "cluster.local"},
                                {"namespace", "orders"},
                                {"service_account", "default"},
                                {"fits_template", true}});
  // An update without precondition is an upsert: create and update.
  CHECK(out["required"] == json::parse(R"([
          {"action":"create","collection":"orders","allowed":true,"rule":"orders-own-orders"},
          {"action":"update","collection":"orders","allowed":true,"rule":"orders-own-orders"},
          {"action":"delete","collection":"orders","allowed":true,"rule":"orders-own-orders"}])"));
  CHECK(out["dry_run"] == json::array());
}

TEST_CASE("explain: analytics may query orders/** but not write") {
  SECTION("a collection-group query below an order is allowed") {
    const auto result =
        explain(kAnalytics, "POST " + kDocs + "/orders/o1:runQuery",
                R"({"structuredQuery":{"from":[{"collectionId":"items","allDescendants":true}]}})");
    CHECK(result.exit_code == 0);
    const json out = parse_output(result);
    CHECK(out["decision"] == "allow");
    CHECK(out["rule"] == "analytics-read-orders");
    CHECK(out["required"][0]["action"] == "query");
    CHECK(out["required"][0]["collection"] == "orders/o1/**/items");
  }
  SECTION("the same query from the root may reach beyond orders/**: default deny") {
    const auto result =
        explain(kAnalytics, "POST " + kDocs + ":runQuery",
                R"({"structuredQuery":{"from":[{"collectionId":"items","allDescendants":true}]}})");
    CHECK(result.exit_code == 1);
    const json out = parse_output(result);
    CHECK(out["decision"] == "deny");
    CHECK(out["rule"].is_null());
    CHECK(out["denied"] ==
          json{{"action", "query"}, {"collection", "**/items"}, {"rule", nullptr}});
  }
  SECTION("a write is denied by the deny rule") {
    const auto result = explain(kAnalytics, "POST " + kDocs + ":commit",
                                R"({"writes":[{"delete":")" + kNames + R"(/orders/o1"}]})");
    CHECK(result.exit_code == 1);
    const json out = parse_output(result);
    CHECK(out["decision"] == "deny");
    CHECK(out["rule"] == "analytics-never-writes");
    CHECK(out["required"][0]["allowed"] == false);
    CHECK(out["required"][0]["rule"] == "analytics-never-writes");
    CHECK_THAT(out["message"].get<std::string>(),
               Catch::Contains("may not delete in collection orders"));
  }
}

TEST_CASE("explain: a commit mixing an allowed and a forbidden write names the forbidden one") {
  const auto result =
      explain(kOrders, "POST " + kDocs + ":commit",
              R"({"writes":[{"update":{"name":")" + kNames +
                  R"(/orders/o2","fields":{}}},{"delete":")" + kNames + R"(/payments/p1"}]})");
  CHECK(result.exit_code == 1);
  const json out = parse_output(result);
  CHECK(out["decision"] == "deny");
  CHECK(out["denied"] == json{{"action", "delete"}, {"collection", "payments"}, {"rule", nullptr}});
  REQUIRE(out["required"].size() == 3);
  CHECK(out["required"][0]["allowed"] == true);
  CHECK(out["required"][2]["allowed"] == false);
  CHECK_THAT(out["message"].get<std::string>(),
             Catch::Contains("may not delete in collection payments (no rule allows it)"));
}

TEST_CASE("explain: dry-run verdicts are reported and never decide") {
  const auto result = explain(kAnalytics, "GET " + kDocs + "/orders/o1/payments/p1");
  CHECK(result.exit_code == 0);
  const json out = parse_output(result);
  CHECK(out["decision"] == "allow");
  CHECK(out["dry_run"] == json::parse(R"([{"rule":"analytics-no-payments","would":"deny"}])"));
}

TEST_CASE("explain: list_collections is not granted by read") {
  const auto result = explain(kOrders, "POST " + kDocs + "/orders/o1:listCollectionIds", "{}");
  CHECK(result.exit_code == 1);
  const json out = parse_output(result);
  CHECK(out["denied"]["action"] == "list_collections");
  CHECK(out["denied"]["collection"] == "orders/o1/*");
}

TEST_CASE("explain: --body FILE and --body - read the same body") {
  const std::string body = R"({"writes":[{"delete":")" + kNames + R"(/orders/o1"}]})";
  TempDir dir;
  const std::string file = dir.write("body.json", body);
  const auto from_file = run_firewarden({"explain", "--policy", kPolicy, "--identity", kOrders,
                                         "--request", "POST " + kDocs + ":commit", "--body", file});
  const auto from_stdin = explain(kOrders, "POST " + kDocs + ":commit", body);
  CHECK(from_file.exit_code == 0);
  CHECK(from_stdin.exit_code == 0);
  CHECK(from_file.out == from_stdin.out);
}

TEST_CASE("explain: a request the policy cannot be asked about exits 2 with the reason") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  TempDir dir;
  const std::vector<Case> cases{
      // Bad SPIFFE IDs.
      {{"--identity", "spiffe://cluster.local:8443/ns/orders/sa/x", "--request",
        "GET " + kDocs + "/orders/o1"},
       "--identity: invalid_spiffe_id"},
      {{"--identity", "orders", "--request", "GET " + kDocs + "/orders/o1"},
       "--identity: invalid_spiffe_id"},
      {{"--identity", "spiffe://cluster.local", "--request", "GET " + kDocs + "/orders/o1"},
       "--identity: missing_path"},
      // Malformed request lines.
      {{"--identity", kOrders, "--request", "GET"}, "--request: expected 'METHOD PATH'"},
      {{"--identity", kOrders, "--request", "GET orders/o1"}, "--request: the path must start"},
      // The classifier's 400 and 501.
      {{"--identity", kOrders, "--request", "GET " + kDocs + "/orders/o1%2Fx"},
       "--request: 400 INVALID_ARGUMENT"},
      {{"--identity", kOrders, "--request", "GET " + kDocs + "/orders/o1?access_token=x"},
       "--request: 400 INVALID_ARGUMENT"},
      {{"--identity", kOrders, "--request", "POST " + kDocs + ":listen"},
       "--request: 501 UNIMPLEMENTED"},
      // An unreadable body, policy or config; missing options.
      {{"--identity", kOrders, "--request", "POST " + kDocs + ":commit", "--body",
        dir.path() + "/missing.json"},
       "--body: cannot read"},
      {{"--identity", kOrders}, "--request is required"},
      {{"--request", "GET " + kDocs + "/orders/o1"}, "--identity is required"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    std::vector<std::string> args{"explain", "--policy", kPolicy};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto result = run_firewarden(args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::Contains(c.message));
  }

  const auto no_policy =
      run_firewarden({"explain", "--policy", dir.path() + "/missing.yaml", "--identity", kOrders,
                      "--request", "GET " + kDocs + "/orders/o1"});
  CHECK(no_policy.exit_code == 2);
  CHECK_THAT(no_policy.err, Catch::Contains("missing.yaml: cannot open policy file"));
}

TEST_CASE("explain: a bad JSON body is a 400, exit 2") {
  const auto result = explain(kOrders, "POST " + kDocs + ":commit", R"({"writes":[],"bogus":1})");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("--request: 400 INVALID_ARGUMENT"));
}

TEST_CASE("explain --config: the config's trust domains, template, project and databases") {
  TempDir dir;
  const std::string config =
      write_offline_config(dir,
                           "  trust_domains: [\"example.org\"]\n"
                           "  path_template: \"/k8s/{namespace}/{service_account}\"\n");
  const auto run = [&](const std::string& identity, const std::string& request) {
    return run_firewarden(
        {"explain", "--config", config, "--identity", identity, "--request", request});
  };

  const std::string reporter = "spiffe://example.org/k8s/analytics/reporter";
  SECTION("the policy and the path template come from the config") {
    const auto result = run(reporter, "GET " + kDocs + "/orders/o1");
    CHECK(result.exit_code == 0);
    const json out = parse_output(result);
    CHECK(out["rule"] == "analytics-read-orders");
    CHECK(out["identity"]["namespace"] == "analytics");
    CHECK(out["identity"]["service_account"] == "reporter");
  }
  SECTION("a trust domain the config does not trust is bad input") {
    const auto result = run(kOrders, "GET " + kDocs + "/orders/o1");
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("--identity: untrusted_trust_domain"));
  }
  SECTION("another project is the proxy's 403: a deny") {
    const auto result =
        run(reporter, "GET /v1/projects/other/databases/(default)/documents/orders/o1");
    CHECK(result.exit_code == 1);
    const json out = parse_output(result);
    CHECK(out["decision"] == "deny");
    CHECK(out["project"] == "other");
    CHECK(out["refused"]["code"] == 403);
    CHECK(out["refused"]["status"] == "PERMISSION_DENIED");
  }
  SECTION("another database too") {
    const auto result =
        run(reporter, "GET /v1/projects/my-project/databases/archive/documents/orders/o1");
    CHECK(result.exit_code == 1);
    CHECK(parse_output(result)["refused"]["code"] == 403);
  }
  SECTION("an invalid config is bad input, with FILE:LINE:COL") {
    const std::string broken = dir.write("broken.yaml", "firestore:\n  projekt: x\n");
    const auto result = run_firewarden({"explain", "--config", broken, "--identity", kOrders,
                                        "--request", "GET " + kDocs + "/orders/o1"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("broken.yaml:2:3: firestore.projekt: unknown key"));
  }
}

TEST_CASE("explain without --config reads the ID's own trust domain and the path's database") {
  const auto result = run_firewarden(
      {"explain", "--policy", kPolicy, "--identity", "spiffe://example.org/ns/analytics/sa/x",
       "--request", "GET /v1/projects/any-project/databases/(default)/documents/orders/o1"});
  CHECK(result.exit_code == 0);
  const json out = parse_output(result);
  CHECK(out["identity"]["trust_domain"] == "example.org");
  CHECK(out["project"] == "any-project");
  CHECK(out["rule"] == "analytics-read-orders");
}

TEST_CASE("explain: whether a write's response is cut, and why") {
  TempDir dir;
  const std::string policy = dir.write("policy.yaml", R"(version: 1
rules:
  - name: ingest-writes-orders
    subjects: {namespaces: [ingest]}
    collections: [orders, shared]
    actions: [write]
  - name: ingest-gets-shared
    subjects: {namespaces: [ingest]}
    collections: [shared]
    actions: [get]
  - name: ingest-never-reads-orders
    effect: deny
    subjects: {namespaces: [ingest]}
    collections: [orders]
    actions: [read]
)");
  const std::string ingest = "spiffe://cluster.local/ns/ingest/sa/loader";
  const auto ask = [&](const std::string& request, const std::string& body) {
    return run_firewarden(
        {"explain", "--policy", policy, "--identity", ingest, "--request", request, "--body", "-"},
        {}, body);
  };
  const auto update_of = [&](const std::string& path) {
    return R"({"writes":[{"update":{"name":")" + kNames + "/" + path +
           R"(","fields":{}},"updateTransforms":[)"
           R"({"fieldPath":"n","increment":{"integerValue":"0"}}]}]})";
  };

  SECTION("a commit to a collection it may not get: allowed, the response is cut") {
    const auto result = ask("POST " + kDocs + ":commit", update_of("orders/o1"));
    CHECK(result.exit_code == 0);
    const json out = parse_output(result);
    CHECK(out["decision"] == "allow");
    CHECK(out["rule"] == "ingest-writes-orders");
    CHECK(
        out["response"] ==
        json{{"cut", true},
             {"reason", "no get on collection orders (denied by rule ingest-never-reads-orders)"}});
  }
  SECTION("a PATCH to a collection it may get: not cut") {
    const auto result = ask("PATCH " + kDocs + "/shared/s1", R"({"fields":{}})");
    CHECK(result.exit_code == 0);
    CHECK(parse_output(result)["response"] == json{{"cut", false}, {"reason", nullptr}});
  }
  SECTION("a delete returns no data: not cut") {
    const auto result = ask("POST " + kDocs + ":commit",
                            R"({"writes":[{"delete":")" + kNames + R"(/orders/o1"}]})");
    CHECK(result.exit_code == 0);
    CHECK(parse_output(result)["response"]["cut"] == false);
  }
  SECTION("a denied request has no response to cut") {
    const auto result = ask("POST " + kDocs + "/other?documentId=x", R"({"fields":{}})");
    CHECK(result.exit_code == 1);
    CHECK(parse_output(result)["response"].is_null());
  }
}

TEST_CASE("explain: an ID that does not fit path_template") {
  const std::string off = "spiffe://cluster.local/ns/analytics/sa/reporter/extra";
  SECTION("is refused like the proxy's 401 by default") {
    for (const std::string& id : {off, std::string("spiffe://cluster.local/ns/analytics"),
                                  std::string("spiffe://cluster.local/NS/analytics/sa/x"),
                                  std::string("spiffe://cluster.local/ns/Analytics/sa/x")}) {
      CAPTURE(id);
      const auto result = explain(id, "GET " + kDocs + "/orders/o1");
      CHECK(result.exit_code == 2);
      CHECK(result.out.empty());
      CHECK_THAT(result.err, Catch::Contains("--identity: off_template"));
    }
  }
  SECTION("with require_template false: no allow by namespace, every deny by namespace") {
    TempDir dir;
    const std::string config = write_offline_config(dir, "  require_template: false\n");
    const auto run = [&](const std::string& request, const std::string& body = "") {
      std::vector<std::string> args{"explain", "--config",  config, "--identity",
                                    off,       "--request", request};
      if (!body.empty()) {
        args.emplace_back("--body");
        args.emplace_back("-");
      }
      return run_firewarden(args, {}, body);
    };
    // analytics-read-orders selects namespace analytics: it does not apply.
    const auto read = run("GET " + kDocs + "/orders/o1");
    CHECK(read.exit_code == 1);
    const json read_out = parse_output(read);
    CHECK(read_out["decision"] == "deny");
    CHECK(read_out["rule"].is_null());
    CHECK(read_out["identity"] == json{{"spiffe_id", off},
                                       {"trust_domain", "cluster.local"},
                                       {"namespace", nullptr},
                                       {"service_account", nullptr},
                                       {"fits_template", false}});
    CHECK(read_out["impersonate"].is_null());
    // analytics-never-writes selects namespace analytics: it applies.
    const auto write = run("POST " + kDocs + ":commit",
                           R"({"writes":[{"delete":")" + kNames + R"(/orders/o1"}]})");
    CHECK(write.exit_code == 1);
    const json write_out = parse_output(write);
    CHECK(write_out["decision"] == "deny");
    CHECK(write_out["rule"] == "analytics-never-writes");
    CHECK(write_out["denied"]["rule"] == "analytics-never-writes");
  }
}

TEST_CASE("explain: impersonation_required denies a caller no entry matches") {
  TempDir dir;
  const std::string policy = dir.write("policy.yaml", R"(version: 1
impersonation_required: true
rules:
  - name: read-orders
    subjects: {namespaces: [orders, billing]}
    collections: [orders]
    actions: [read]
impersonation:
  - namespaces: [orders]
    service_account: orders-rw@my-project.iam.gserviceaccount.com
)");
  const auto ask = [&](const std::string& identity) {
    return run_firewarden({"explain", "--policy", policy, "--identity", identity, "--request",
                           "GET " + kDocs + "/orders/o1"});
  };
  const auto billing = ask("spiffe://cluster.local/ns/billing/sa/api");
  CHECK(billing.exit_code == 1);
  const json denied = parse_output(billing);
  CHECK(denied["decision"] == "deny");
  CHECK(denied["rule"].is_null());
  CHECK(denied["no_impersonation"] == true);
  CHECK(denied["denied"].is_null());
  CHECK(denied["required"][0]["allowed"] == true);
  CHECK_THAT(denied["message"].get<std::string>(),
             Catch::Contains("no impersonation entry matches it, and the policy requires one"));

  const auto orders = ask("spiffe://cluster.local/ns/orders/sa/api");
  CHECK(orders.exit_code == 0);
  const json allowed = parse_output(orders);
  CHECK(allowed["no_impersonation"] == false);
  CHECK(allowed["impersonate"] == "orders-rw@my-project.iam.gserviceaccount.com");
}
