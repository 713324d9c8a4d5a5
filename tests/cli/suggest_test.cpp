// `firewarden suggest` (SPEC §1): a least-privilege policy from access logs.
// The access lines are the daemon's own (telemetry::to_json_line), with the
// requirements the classifier computes for each request (as `explain` prints
// them). The suggestion is then fed back through `firewarden test`: every
// observed request is allowed, and requests next to them (another
// collection, action or caller) are denied.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "firewarden/telemetry/access_log.hpp"
#include "offline_config.hpp"
#include "support/run_binary.hpp"

using firewarden::testing::CommandResult;
using firewarden::testing::run_firewarden;
using firewarden::testing::TempDir;
using firewarden::testing::write_offline_config;

namespace {

const std::string kExamplePolicy = FIREWARDEN_SOURCE_DIR "/config/policy.example.yaml";
const std::string kDocs = "/v1/projects/my-project/databases/(default)/documents";
const std::string kName = "projects/my-project/databases/(default)/documents";
const std::string kOrdersApi = "spiffe://cluster.local/ns/orders/sa/api";
const std::string kBillingWorker = "spiffe://cluster.local/ns/billing/sa/worker";
const std::string kAnalytics = "spiffe://cluster.local/ns/analytics/sa/reporter";
const std::string kLegacy = "spiffe://cluster.local/legacy/batch";  // no namespace or account
const std::string kOrdersAccount = "orders-rw@my-project.iam.gserviceaccount.com";

struct Request {
  std::string identity;
  std::string request;  // METHOD PATH
  std::string body;     // "" = none
};

struct Traffic {
  Request request;
  std::string decision = "allow";  // as logged
  int times = 1;
};

const std::vector<Traffic>& observed_traffic() {
  static const std::vector<Traffic> traffic{
      {{kOrdersApi, "GET " + kDocs + "/orders/o1", ""}, "allow", 3},
      {{kOrdersApi, "GET " + kDocs + "/orders", ""}},
      {{kOrdersApi, "POST " + kDocs + ":runQuery",
        R"({"structuredQuery":{"from":[{"collectionId":"orders"}]}})"}},
      {{kOrdersApi, "GET " + kDocs + "/orders/o1/items/i1", ""}},
      {{kOrdersApi, "GET " + kDocs + "/orders/o2/items/i7", ""}},
      {{kOrdersApi, "POST " + kDocs + "/orders/o2/items", R"({"fields":{}})"}},
      // Logged by an audit-mode daemon: denied, forwarded anyway.
      {{kBillingWorker, "POST " + kDocs + ":commit",
        R"({"writes":[{"update":{"name":")" + kName + R"(/payments/p1","fields":{}}},)" +
            R"({"delete":")" + kName + R"(/payments/p2"}]})"},
       "deny"},
      {{kAnalytics, "POST " + kDocs + ":runQuery",
        R"({"structuredQuery":{"from":[{"collectionId":"items","allDescendants":true}]}})"}},
      {{kAnalytics, "POST " + kDocs + "/orders/o1:listCollectionIds", "{}"}},
      {{kLegacy, "GET " + kDocs + "/reports/r1", ""}},
      {{kLegacy, "GET " + kDocs + "/reports", ""}},
  };
  return traffic;
}

// Requests the observed traffic does not include.
const std::vector<Request>& unobserved_requests() {
  static const std::vector<Request> requests{
      {kOrdersApi, "DELETE " + kDocs + "/orders/o1", ""},  // an action not seen
      {kOrdersApi, "POST " + kDocs + "/orders", "{}"},     // create on orders
      {kOrdersApi, "PATCH " + kDocs + "/orders/o1/items/i1?currentDocument.exists=true",
       R"({"fields":{}})"},                                      // update: only get, create seen
      {kOrdersApi, "GET " + kDocs + "/payments/p1", ""},         // another collection
      {kOrdersApi, "GET " + kDocs + "/orders/o1/notes/n1", ""},  // another subcollection
      {kOrdersApi, "POST " + kDocs + ":listCollectionIds", "{}"},
      {"spiffe://cluster.local/ns/orders/sa/other", "GET " + kDocs + "/orders/o1", ""},
      {"spiffe://cluster.local/ns/billing/sa/api", "GET " + kDocs + "/orders/o1", ""},
      {"spiffe://partner.example/ns/orders/sa/api", "GET " + kDocs + "/orders/o1", ""},
      {kBillingWorker, "GET " + kDocs + "/payments/p1", ""},     // write seen, read not
      {kAnalytics, "GET " + kDocs + "/orders/o1/items/i1", ""},  // query seen, get not
      {kAnalytics, "POST " + kDocs + ":runQuery",
       R"({"structuredQuery":{"from":[{"collectionId":"orders"}]}})"},
      {kAnalytics, "POST " + kDocs + ":listCollectionIds", "{}"},
      {kLegacy, "POST " + kDocs + ":runQuery",
       R"({"structuredQuery":{"from":[{"collectionId":"reports"}]}})"},
      {"spiffe://cluster.local/legacy/other", "GET " + kDocs + "/reports/r1", ""},
  };
  return requests;
}

// The proxy these logs come from: xfcc mode, callers of two trust domains,
// and IDs outside the path template admitted (`require_template: false`), as
// kLegacy is. `explain` and `test` read identities as it does.
const std::string& observed_proxy_config() {
  static const TempDir dir;
  static const std::string path =
      write_offline_config(dir,
                           "  trust_domains: [cluster.local, partner.example]\n"
                           "  require_template: false\n");
  return path;
}

// The explanation `firewarden explain` gives for a request (any policy will
// do: it prints every requirement, allowed or not).
nlohmann::json explain(const Request& request) {
  std::vector<std::string> args{"explain",        "--config",     observed_proxy_config(),
                                "--policy",       kExamplePolicy, "--identity",
                                request.identity, "--request",    request.request};
  if (!request.body.empty()) {
    args.emplace_back("--body");
    args.emplace_back("-");
  }
  const CommandResult result = run_firewarden(args, {}, request.body);
  INFO(request.request << "\n" << result.err);
  REQUIRE((result.exit_code == 0 || result.exit_code == 1));
  return nlohmann::json::parse(result.out);
}

// The access line the daemon writes for one observed request.
std::string access_line(const Traffic& traffic) {
  const nlohmann::json explained = explain(traffic.request);
  firewarden::telemetry::AccessRecord record;
  record.request_id = "r";
  record.trace_id = "0af7651916cd43dd8448eb211c80319c";
  record.peer = "10.1.2.3:41000";
  record.identity = explained["identity"]["spiffe_id"].get<std::string>();
  const auto& who = explained["identity"];
  if (who["namespace"].is_string()) record.namespace_name = who["namespace"].get<std::string>();
  if (who["service_account"].is_string()) {
    record.service_account = who["service_account"].get<std::string>();
  }
  record.method = explained["method"].get<std::string>();
  for (const auto& required : explained["required"]) {
    record.required.emplace_back(required["action"].get<std::string>(),
                                 required["collection"].get<std::string>());
  }
  record.decision = traffic.decision;
  record.rule = explained["rule"].is_string() ? explained["rule"].get<std::string>() : "";
  record.status = traffic.decision == "allow" ? 200 : 403;
  if (traffic.decision == "allow") record.upstream_status = 200;
  if (traffic.request.identity == kOrdersApi) record.impersonated = kOrdersAccount;
  return firewarden::telemetry::to_json_line(record);
}

// An access log as the daemon's stdout holds it: request lines, a TLS
// handshake failure, and a request refused before the policy was asked.
std::string access_log() {
  std::string log =
      firewarden::telemetry::handshake_failure_json_line(1, "10.9.9.9:1000", "unknown_ca") + "\n";
  firewarden::telemetry::AccessRecord unauthenticated;
  unauthenticated.decision = "error";
  unauthenticated.status = 401;
  log += firewarden::telemetry::to_json_line(unauthenticated) + "\n";
  for (const Traffic& traffic : observed_traffic()) {
    const std::string line = access_line(traffic);
    for (int i = 0; i < traffic.times; ++i) log += line + "\n";
  }
  return log;
}

const std::string& shared_access_log() {
  static const std::string log = access_log();
  return log;
}

std::string yaml_quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string test_case(const std::string& name, const Request& request, const std::string& expect) {
  std::string text = "  - name: " + yaml_quoted(name) + "\n    identity: " + request.identity +
                     "\n    request: " + yaml_quoted(request.request) + "\n";
  if (!request.body.empty()) text += "    body: " + yaml_quoted(request.body) + "\n";
  return text + "    expect: " + expect + "\n";
}

CommandResult suggest(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"suggest"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_firewarden(args);
}

}  // namespace

TEST_CASE("suggest: the suggested policy allows every observed request and nothing else") {
  TempDir dir;
  const std::string log = dir.write("access.log", shared_access_log());
  const auto suggested = suggest({"--access-log", log});
  INFO(suggested.out << suggested.err);
  REQUIRE(suggested.exit_code == 0);
  CHECK(suggested.err.empty());
  const std::string policy = dir.write("suggested.yaml", suggested.out);

  std::string cases = "cases:\n";
  int n = 0;
  for (const Traffic& traffic : observed_traffic()) {
    cases += test_case("observed " + std::to_string(++n), traffic.request, "allow");
  }
  for (const Request& request : unobserved_requests()) {
    cases += test_case("not observed " + std::to_string(++n), request, "deny");
  }
  const auto tested = run_firewarden({"test", "--config", observed_proxy_config(), "--policy",
                                      policy, dir.write("cases.yaml", cases)});
  INFO(tested.out << tested.err);
  CHECK(tested.exit_code == 0);
  CHECK(tested.out == std::to_string(n) + " passed, 0 failed\n");
}

TEST_CASE("suggest: one rule per caller and set of actions, document IDs as *, actions folded") {
  TempDir dir;
  const auto result = suggest({"--access-log", dir.write("access.log", shared_access_log())});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const std::string& out = result.out;

  // get + list + query on orders fold to read; get and create on the items
  // of any order are not folded, and need a rule of their own.
  CHECK_THAT(out,
             Catch::Contains("  # orders/api: 5 requests (5 allowed)\n"
                             "  #   orders: get 3, list 1, query 1\n"
                             "  - name: suggested-orders-api-read\n"
                             "    subjects:\n"
                             "      namespaces: [\"orders\"]\n"
                             "      service_accounts: [\"api\"]\n"
                             "      principals: [\"spiffe://cluster.local/ns/orders/sa/api\"]\n"
                             "    collections: [\"orders\"]\n"
                             "    actions: [read]\n"));
  CHECK_THAT(out, Catch::Contains("  # orders/api: 3 requests (3 allowed)\n"
                                  "  #   orders/*/items: get 2, create 1\n"
                                  "  - name: suggested-orders-api-get-create\n"));
  CHECK_THAT(out, Catch::Contains("    collections: [\"orders/*/items\"]\n"
                                  "    actions: [get, create]\n"));
  // An upsert and a delete: create + update + delete, folded to write; the
  // caller has one rule, named after it alone.
  CHECK_THAT(out, Catch::Contains("  # billing/worker: 1 requests (1 denied)\n"
                                  "  #   payments: create 1, update 1, delete 1\n"
                                  "  - name: suggested-billing-worker\n"));
  CHECK_THAT(out, Catch::Contains("    collections: [\"payments\"]\n    actions: [write]\n"));
  // A collection-group query and listCollectionIds: one rule each.
  CHECK_THAT(out, Catch::Contains("  - name: suggested-analytics-reporter-query\n"));
  CHECK_THAT(out, Catch::Contains("    collections: [\"**/items\"]\n    actions: [query]\n"));
  CHECK_THAT(out, Catch::Contains("  - name: suggested-analytics-reporter-list_collections\n"));
  CHECK_THAT(out, Catch::Contains("    collections: [\"orders/*/*\"]\n"
                                  "    actions: [list_collections]\n"));
  // A caller without namespace and service account: by its SPIFFE ID.
  CHECK_THAT(out, Catch::Contains("  - name: suggested-cluster.local-legacy-batch\n"
                                  "    subjects:\n"
                                  "      principals: [\"spiffe://cluster.local/legacy/batch\"]\n"
                                  "    collections: [\"reports\"]\n"
                                  "    actions: [get, list]\n"));
  // The Google service account the orders requests went out as.
  CHECK_THAT(out, Catch::Contains("impersonation:\n  - namespaces: [\"orders\"]\n"));
  CHECK_THAT(out, Catch::Contains("    service_account: \"" + kOrdersAccount + "\"\n"));
  // The header counts what was read and what was skipped.
  CHECK_THAT(out, Catch::Contains("# 13 requests observed; when logged: 12 allowed, 1 denied.\n"));
  CHECK_THAT(out,
             Catch::Contains(
                 "# Skipped: 1 access lines that required no permission (refused before the\n"));
  CHECK_THAT(out, Catch::Contains("and 1 other log lines.\n"));
  CHECK_THAT(out, Catch::Contains("\nversion: 1\nrules:\n"));
}

TEST_CASE("suggest: read and write only when every action of them was seen") {
  TempDir dir;
  const auto line = [](const std::vector<std::pair<std::string, std::string>>& required) {
    firewarden::telemetry::AccessRecord record;
    record.identity = kOrdersApi;
    record.namespace_name = "orders";
    record.service_account = "api";
    record.required = required;
    record.decision = "allow";
    record.status = 200;
    return firewarden::telemetry::to_json_line(record) + "\n";
  };
  const std::string log =
      dir.write("access.log", line({{"get", "a"}, {"list", "a"}}) + line({{"create", "a"}}) +
                                  line({{"update", "a"}}) + line({{"get", "b"}, {"list", "b"}}) +
                                  line({{"query", "b"}, {"create", "b"}, {"update", "b"}}) +
                                  line({{"delete", "b"}, {"list_collections", "b"}}));
  const auto result = suggest({"--access-log", log});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("    collections: [\"a\"]\n"
                                         "    actions: [get, list, create, update]\n"));
  CHECK_THAT(result.out, Catch::Contains("    collections: [\"b\"]\n"
                                         "    actions: [read, write, list_collections]\n"));
}

TEST_CASE("suggest: several logs, and stdin") {
  TempDir dir;
  firewarden::telemetry::AccessRecord record;
  record.identity = kOrdersApi;
  record.namespace_name = "orders";
  record.service_account = "api";
  record.decision = "allow";
  record.required = {{"get", "orders"}};
  const std::string first = dir.write("a.log", firewarden::telemetry::to_json_line(record) + "\n");
  record.required = {{"get", "customers"}};
  const std::string second = dir.write("b.log", firewarden::telemetry::to_json_line(record));
  const auto both = suggest({"--access-log", first, second});
  INFO(both.out << both.err);
  REQUIRE(both.exit_code == 0);
  CHECK_THAT(both.out, Catch::Contains("    collections: [\"customers\", \"orders\"]\n"
                                       "    actions: [get]\n"));
  CHECK_THAT(both.out, Catch::Contains("from " + first + ", " + second + ".\n"));

  const auto piped = run_firewarden({"suggest", "--access-log", "-"}, {},
                                    firewarden::telemetry::to_json_line(record) + "\n");
  CHECK(piped.exit_code == 0);
  CHECK_THAT(piped.out, Catch::Contains("    collections: [\"customers\"]\n"));
}

TEST_CASE("suggest: --policy tells which observed requests the current policy denies") {
  TempDir dir;
  const std::string log = dir.write("access.log", shared_access_log());
  const auto result = suggest({"--access-log", log, "--policy", kExamplePolicy});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const std::string& out = result.out;
  // The example policy allows the orders service everything it did, but
  // not billing's payments writes, analytics' collection-group query and
  // listCollectionIds, nor the caller outside the path template.
  CHECK_THAT(out, Catch::Contains("# The current policy " + kExamplePolicy +
                                  " denies 5 of them\n"
                                  "# (asked for database (default)); the rules below would "
                                  "allow them.\n"));
  CHECK_THAT(out, Catch::Contains("  #   denied by the current policy: 1\n"
                                  "  #     query **/items (no rule allows it): 1\n"
                                  "  - name: suggested-analytics-reporter-query\n"));
  CHECK_THAT(out, Catch::Contains("  #     list_collections orders/*/* (no rule allows it): 1\n"
                                  "  - name: suggested-analytics-reporter-list_collections\n"));
  CHECK_THAT(out, Catch::Contains("  #   denied by the current policy: 2\n"
                                  "  #     get reports (no rule allows it): 1\n"
                                  "  #     list reports (no rule allows it): 1\n"
                                  "  - name: suggested-cluster.local-legacy-batch\n"));
  CHECK_THAT(out, Catch::Contains("(no rule allows it): 1\n"
                                  "  - name: suggested-billing-worker\n"));
  // What the current policy allows carries no such comment.
  const auto orders_rule = out.find("  - name: suggested-orders-api-read\n");
  REQUIRE(orders_rule != std::string::npos);
  const auto comment = out.rfind("  # orders/api:", orders_rule);
  CHECK(out.substr(comment, orders_rule - comment).find("current policy") == std::string::npos);

  // A named database the example's orders rule does not serve: now the
  // orders requests are denied too.
  const auto other_database =
      suggest({"--access-log", log, "--policy", kExamplePolicy, "--database", "reports-db"});
  CHECK(other_database.exit_code == 0);
  CHECK_THAT(other_database.out, Catch::Contains("denies 13 of them\n# (asked for database "
                                                 "reports-db)"));
}

TEST_CASE("suggest: bad input exits 2 and says where") {
  TempDir dir;
  const std::string good = firewarden::telemetry::to_json_line([] {
    firewarden::telemetry::AccessRecord record;
    record.identity = kOrdersApi;
    record.decision = "allow";
    record.required = {{"get", "orders"}};
    return record;
  }());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string not_json = dir.write("text.log", good + "\nlistening on 0.0.0.0:8443\n");
  const std::string bad_action =
      dir.write("action.log", "\n\n" + std::string(good).replace(good.find("\"get\""), 5, "\"x\""));
  const std::string no_requests = dir.write(
      "empty.log",
      firewarden::telemetry::handshake_failure_json_line(1, "10.0.0.1:1", "unknown_ca") + "\n");
  const std::vector<Case> cases{
      {{"suggest"}, "--access-log FILE is required"},
      {{"suggest", "--access-log", not_json}, not_json + ":2: not a JSON line"},
      {{"suggest", "--access-log", bad_action}, bad_action + ":3: unknown action \"x\""},
      {{"suggest", "--access-log", no_requests}, "no request in the access logs"},
      {{"suggest", "--access-log", dir.path() + "/missing.log"}, "missing.log: cannot read"},
      {{"suggest", "--access-log", dir.path()}, ": cannot read access log"},
      {{"suggest", "--access-log", not_json, "--database", "x"}, "only meaningful with --policy"},
      {{"suggest", "--access-log", bad_action, "--policy", dir.path() + "/none.yaml"},
       "unknown action"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const auto result = run_firewarden(c.args);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::Contains(c.message));
  }
  // An unreadable current policy.
  const std::string log = dir.write("good.log", good + "\n");
  const auto no_policy = suggest({"--access-log", log, "--policy", dir.path() + "/none.yaml"});
  CHECK(no_policy.exit_code == 2);
  CHECK(no_policy.out.empty());
  CHECK_THAT(no_policy.err, Catch::Contains("none.yaml"));
}

TEST_CASE("suggest: a caller seen as several Google service accounts gets no impersonation") {
  TempDir dir;
  const auto line = [](const std::optional<std::string>& impersonated) {
    firewarden::telemetry::AccessRecord record;
    record.identity = kOrdersApi;
    record.namespace_name = "orders";
    record.service_account = "api";
    record.decision = "allow";
    record.required = {{"get", "orders"}};
    record.impersonated = impersonated;
    return firewarden::telemetry::to_json_line(record) + "\n";
  };
  // A value that would end a comment line, were it written as it is.
  const std::string log =
      dir.write("access.log", line(kOrdersAccount) + line("x@p.iam.gserviceaccount.com\nrules:"));
  const auto result = suggest({"--access-log", log});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, !Catch::Contains("impersonation:"));
  CHECK_THAT(result.out, Catch::EndsWith("# several Google service accounts:\n"
                                         "# orders/api was seen as \"" +
                                         kOrdersAccount +
                                         "\", \"x@p.iam.gserviceaccount.com\\nrules:\": "
                                         "choose one\n"));
}
