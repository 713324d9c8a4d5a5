// `firewarden test` (SPEC §1): policy unit tests from a cases file. Exit 0 all
// pass, 1 any failure, 2 unreadable cases file or policy.
#include <catch2/catch.hpp>

#include "offline_config.hpp"
#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;
using firewarden::testing::TempDir;
using firewarden::testing::write_offline_config;

namespace {

const std::string kPolicy = FIREWARDEN_SOURCE_DIR "/config/policy.example.yaml";
const std::string kExampleCases = FIREWARDEN_SOURCE_DIR "/config/policy.example.test.yaml";

firewarden::testing::CommandResult test_cases(const std::string& cases_file) {
  return run_firewarden({"test", "--policy", kPolicy, cases_file});
}

}  // namespace

TEST_CASE("test: the example policy passes its example tests") {
  const auto result = test_cases(kExampleCases);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Matches("[0-9]+ passed, 0 failed\n"));
  CHECK(result.err.empty());
  // At least the ten cases the example promises.
  CHECK(std::stoi(result.out) >= 10);
}

TEST_CASE("test: a failing case is printed with what was expected and what was decided") {
  TempDir dir;
  const std::string cases = dir.write("cases.yaml", R"(cases:
  - name: orders reads orders
    identity: spiffe://cluster.local/ns/orders/sa/default
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1
    expect: allow
  - name: analytics deletes an order
    identity: spiffe://cluster.local/ns/analytics/sa/reporter
    request: POST /v1/projects/my-project/databases/(default)/documents:commit
    body: '{"writes":[{"delete":"projects/my-project/databases/(default)/documents/orders/o1"}]}'
    expect: allow
  - name: wrong rule named
    identity: spiffe://cluster.local/ns/orders/sa/default
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1
    expect: allow
    expect_rule: analytics-read-orders
  - name: wrong requirement named
    identity: spiffe://cluster.local/ns/orders/sa/default
    request: DELETE /v1/projects/my-project/databases/(default)/documents/payments/p1
    expect: deny
    expect_denied: {action: delete, collection: orders}
  - name: missing dry-run verdict
    identity: spiffe://cluster.local/ns/analytics/sa/reporter
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1/payments/p1
    expect: allow
    expect_dry_run: []
)");
  const auto result = test_cases(cases);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::EndsWith("1 passed, 4 failed\n"));
  CHECK_THAT(result.out, !Catch::Contains("orders reads orders"));

  CHECK_THAT(result.out, Catch::Contains("FAIL " + cases +
                                         ":6:5: analytics deletes an order\n"
                                         "  expected: allow\n"
                                         "  got:      deny (rule analytics-never-writes)\n"
                                         "            first denied: delete in collection orders "
                                         "(rule analytics-never-writes)\n"));
  CHECK_THAT(result.out, Catch::Contains("wrong rule named\n"
                                         "  expected: allow (rule analytics-read-orders)\n"
                                         "  got:      allow (rule orders-own-orders)\n"));
  CHECK_THAT(result.out, Catch::Contains("wrong requirement named\n"
                                         "  expected: deny\n"
                                         "            first denied: delete in collection orders\n"
                                         "  got:      deny (no rule allows it)\n"
                                         "            first denied: delete in collection payments "
                                         "(no rule allows it)\n"));
  CHECK_THAT(result.out,
             Catch::Contains("missing dry-run verdict\n"
                             "  expected: allow\n"
                             "            dry-run: none\n"
                             "  got:      allow (rule analytics-read-orders)\n"
                             "            dry-run: analytics-no-payments would deny\n"));
}

TEST_CASE("test: mistakes in the cases file exit 2 with FILE:LINE:COL") {
  struct Case {
    std::string text;
    std::string message;  // after "FILE:"
  };
  const std::string good_case =
      "    identity: spiffe://cluster.local/ns/orders/sa/default\n"
      "    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1\n";
  const std::vector<Case> cases{
      {"cases:\n  - name: typo\n" + good_case + "    expect: allow\n    expect_rul: x\n",
       "6:5: cases[0].expect_rul: unknown key"},
      {"cases:\n  - name: a\n" + good_case + "    expect: allow\nversion: 1\n",
       "6:1: version: unknown key"},
      {"cases:\n  - name: a\n" + good_case + "    expect: maybe\n",
       "5:13: cases[0].expect: expected one of allow, deny, got \"maybe\""},
      {"cases:\n  - name: a\n" + good_case, "2:5: cases[0].expect: required"},
      {"cases: []\n", "1:8: cases: expected a non-empty list"},
      {"cases:\n  - name: a\n" + good_case + "    expect: allow\n  - name: a\n" + good_case +
           "    expect: deny\n",
       "6:11: cases[1].name: duplicate case name \"a\""},
      {"cases:\n  - name: a\n" + good_case +
           "    expect: allow\n    expect_denied: {action: read, collection: orders}\n",
       "6:29: cases[0].expect_denied.action: expected one of get"},
      {"cases:\n  - name: a\n" + good_case + "    expect: allow\n    body_file: nowhere.json\n",
       "6:16: cases[0].body_file: cannot read"},
      // Questions that cannot be asked: at the identity or request value.
      {"cases:\n  - name: a\n    identity: spiffe://Cluster.local/x\n"
       "    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1\n"
       "    expect: allow\n",
       "3:15: case \"a\": identity: invalid_spiffe_id"},
      {"cases:\n  - name: a\n    identity: spiffe://cluster.local/ns/orders/sa/default\n"
       "    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1?key=k\n"
       "    expect: allow\n",
       "4:14: case \"a\": request: 400 INVALID_ARGUMENT"},
      {"cases: [\n", "YAML syntax error"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    TempDir dir;
    const std::string file = dir.write("cases.yaml", c.text);
    const auto result = test_cases(file);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::Contains(c.message));
    if (c.message != "YAML syntax error")
      CHECK_THAT(result.err, Catch::Contains(file + ":" + c.message));
  }
}

TEST_CASE("test: body_file is read relative to the cases file") {
  TempDir dir;
  dir.write(
      "bodies/delete.json",
      R"({"writes":[{"delete":"projects/my-project/databases/(default)/documents/orders/o1"}]})");
  const std::string cases = dir.write("cases.yaml", R"(cases:
  - name: orders deletes an order
    identity: spiffe://cluster.local/ns/orders/sa/default
    request: POST /v1/projects/my-project/databases/(default)/documents:commit
    body_file: bodies/delete.json
    expect: allow
)");
  const auto result = test_cases(cases);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "1 passed, 0 failed\n");
}

TEST_CASE("test: an unreadable cases file or policy exits 2") {
  TempDir dir;
  const auto no_cases = test_cases(dir.path() + "/missing.yaml");
  CHECK(no_cases.exit_code == 2);
  CHECK_THAT(no_cases.err, Catch::Contains("missing.yaml: cannot read test cases file"));

  const std::string bad_policy = dir.write("policy.yaml", "version: 1\nrules: []\nbogus: 1\n");
  const auto policy = run_firewarden({"test", "--policy", bad_policy, kExampleCases});
  CHECK(policy.exit_code == 2);
  CHECK_THAT(policy.err, Catch::Contains(bad_policy + ":3:1:"));

  const auto no_file = run_firewarden({"test", "--policy", kPolicy});
  CHECK(no_file.exit_code == 2);
  CHECK_THAT(no_file.err, Catch::Contains("give one CASES.yaml file"));
}

TEST_CASE("test --config: cases are read as the configured proxy reads requests") {
  TempDir dir;
  const std::string config = write_offline_config(dir);  // trusts cluster.local only
  const std::string untrusted = dir.write("untrusted.yaml", R"yaml(cases:
  - name: untrusted trust domain
    identity: spiffe://example.org/ns/analytics/sa/reporter
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1
    expect: deny
)yaml");
  // The policy comes from the config's policy.file.
  const auto refused = run_firewarden({"test", "--config", config, untrusted});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains(untrusted + ":3:15: case \"untrusted trust domain\": "
                                                      "identity: untrusted_trust_domain"));

  const std::string cases = dir.write("cases.yaml", R"yaml(cases:
  - name: another project is refused before the policy is asked
    identity: spiffe://cluster.local/ns/analytics/sa/reporter
    request: GET /v1/projects/other-project/databases/(default)/documents/orders/o1
    expect: deny
    expect_rule: ""
  - name: this one fails on purpose
    identity: spiffe://cluster.local/ns/analytics/sa/reporter
    request: GET /v1/projects/my-project/databases/archive/documents/orders/o1
    expect: allow
)yaml");
  const auto result = run_firewarden({"test", "--config", config, cases});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("this one fails on purpose\n"
                                         "  expected: allow\n"
                                         "  got:      deny (refused: database \"archive\""));
  CHECK_THAT(result.out, Catch::EndsWith("1 passed, 1 failed\n"));
}

TEST_CASE("test: expect_response_cut checks whether a write's response is cut") {
  TempDir dir;
  const std::string policy = dir.write("policy.yaml", R"(version: 1
rules:
  - name: ingest-writes-events
    subjects: {namespaces: [ingest]}
    collections: [events]
    actions: [write]
  - name: owner-owns-events
    subjects: {namespaces: [owner]}
    collections: [events]
    actions: [read, write]
)");
  const std::string request =
      "PATCH /v1/projects/my-project/databases/(default)/documents/events/e1";
  const std::string cases = dir.write("cases.yaml", R"(cases:
  - name: ingest writes blind
    identity: spiffe://cluster.local/ns/ingest/sa/loader
    request: )" + request + R"(
    body: '{"fields":{}}'
    expect: allow
    expect_response_cut: true
  - name: the owner sees what it wrote
    identity: spiffe://cluster.local/ns/owner/sa/app
    request: )" + request + R"(
    body: '{"fields":{}}'
    expect: allow
    expect_response_cut: false
  - name: wrong on purpose
    identity: spiffe://cluster.local/ns/ingest/sa/loader
    request: )" + request + R"(
    body: '{"fields":{}}'
    expect: allow
    expect_response_cut: false
)");
  const auto result = run_firewarden({"test", "--policy", policy, cases});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("2 passed, 1 failed"));
  CHECK_THAT(result.out, Catch::Contains("wrong on purpose"));
  CHECK_THAT(result.out,
             Catch::Contains("expected not cut, got cut: no get on collection events (no rule "
                             "allows it)"));

  const std::string misplaced = dir.write("misplaced.yaml", R"(cases:
  - name: a denied request has no response
    identity: spiffe://cluster.local/ns/ingest/sa/loader
    request: GET /v1/projects/my-project/databases/(default)/documents/events/e1
    expect: deny
    expect_response_cut: false
)");
  const auto refused = run_firewarden({"test", "--policy", policy, misplaced});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("expect_response_cut: only with expect: allow"));
}

TEST_CASE("test --config: off-template callers as the configured proxy reads them") {
  TempDir dir;
  const std::string cases = dir.write("cases.yaml", R"yaml(cases:
  - name: an off-template analytics ID cannot escape analytics-never-writes
    identity: spiffe://cluster.local/ns/analytics/sa/reporter/extra
    request: POST /v1/projects/my-project/databases/(default)/documents:commit
    body: '{"writes":[{"delete":"projects/my-project/databases/(default)/documents/orders/o1"}]}'
    expect: deny
    expect_rule: analytics-never-writes
  - name: nor gain analytics-read-orders
    identity: spiffe://cluster.local/NS/analytics/sa/reporter
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1
    expect: deny
    expect_rule: ""
  - name: nor orders-own-orders with an uppercase namespace
    identity: spiffe://cluster.local/ns/Orders/sa/api
    request: GET /v1/projects/my-project/databases/(default)/documents/orders/o1
    expect: deny
    expect_rule: ""
)yaml");
  // require_template: false admits them, and the policy decides.
  const std::string lenient = write_offline_config(dir, "  require_template: false\n");
  const auto decided = run_firewarden({"test", "--config", lenient, cases});
  INFO(decided.out << decided.err);
  CHECK(decided.exit_code == 0);
  CHECK(decided.out == "3 passed, 0 failed\n");

  // By default they are refused before the policy is asked, as the proxy's 401.
  TempDir strict_dir;
  const std::string strict = write_offline_config(strict_dir);
  const auto refused = run_firewarden({"test", "--config", strict, cases});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err,
             Catch::Contains(cases + ":3:15: case \"an off-template analytics ID cannot escape "
                                     "analytics-never-writes\": identity: off_template"));
}
