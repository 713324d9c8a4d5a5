// Reading access lines back for `firewarden suggest` (access_log_reading.hpp):
// lines exactly as the daemon writes them (telemetry::to_json_line), what is
// skipped and counted, what is refused with FILE:LINE, and how a logged
// collection path becomes a policy pattern.
#include "firewarden/app/access_log_reading.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "firewarden/telemetry/access_log.hpp"

using firewarden::app::AccessLogReader;
using firewarden::app::generalise_collection;
using firewarden::telemetry::AccessRecord;
using firewarden::telemetry::handshake_failure_json_line;
using firewarden::telemetry::to_json_line;

namespace {

AccessRecord orders_get(std::string collection = "orders") {
  AccessRecord record;
  record.request_id = "r1";
  record.identity = "spiffe://cluster.local/ns/orders/sa/api";
  record.namespace_name = "orders";
  record.service_account = "api";
  record.method = "get";
  record.required = {{"get", std::move(collection)}};
  record.decision = "allow";
  record.rule = "orders-own-orders";
  record.status = 200;
  record.upstream_status = 200;
  return record;
}

}  // namespace

TEST_CASE("suggest input: a collection path becomes the pattern of its siblings") {
  struct Case {
    std::string logged;
    std::string pattern;
  };
  const std::vector<Case> cases{
      {"orders", "orders"},
      {"orders/o1/items", "orders/*/items"},
      {"orders/o1/items/i2/notes", "orders/*/items/*/notes"},
      {"*", "*"},                              // a kindless query at the root
      {"orders/o1/*", "orders/*/*"},           // listCollectionIds under orders/o1
      {"orders/**/items", "orders/**/items"},  // a collection group under orders
      {"**/items", "**/items"},
      {"orders/o1/**/items", "orders/*/**/items"},
      {"orders/o1/**/*", "orders/*/**/*"},
      {"a/b/c/d/e", "a/*/c/*/e"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.logged);
    std::string error;
    const auto got = generalise_collection(c.logged, error);
    REQUIRE(got);
    CHECK(got->pattern == c.pattern);
    CHECK(got->logged.to_string() == c.logged);
    CHECK(error.empty());
  }
}

TEST_CASE("suggest input: collection paths no policy pattern can say are refused") {
  for (const std::string logged :
       {"", "orders//items", "/orders", "orders/", "ord*ers", "{namespace}", "orders/o1/{x}",
        "orders/o1", "__orders__", "orders/o1/."}) {
    CAPTURE(logged);
    std::string error;
    CHECK_FALSE(generalise_collection(logged, error));
    CHECK_THAT(error, Catch::Contains("cannot be written as a policy pattern"));
  }
}

TEST_CASE("suggest input: request lines become observations, counted once per shape") {
  AccessLogReader reader;
  CHECK_FALSE(reader.add_line(to_json_line(orders_get()), "a.log:1"));
  CHECK_FALSE(reader.add_line(to_json_line(orders_get()), "a.log:2"));
  auto denied = orders_get("orders/o1/items");
  denied.decision = "deny";
  denied.status = 403;
  denied.upstream_status.reset();
  CHECK_FALSE(reader.add_line(to_json_line(denied), "a.log:3"));

  const auto& tally = reader.tally();
  CHECK(tally.request_lines == 3);
  REQUIRE(tally.observations.size() == 2);
  const auto& first = tally.observations[0];
  CHECK(first.count == 2);
  CHECK(first.first_seen == "a.log:1");
  CHECK(first.who.spiffe_id == "spiffe://cluster.local/ns/orders/sa/api");
  CHECK(first.who.trust_domain == "cluster.local");
  CHECK(first.who.namespace_name == "orders");
  CHECK(first.who.service_account == "api");
  CHECK(first.decision == "allow");
  REQUIRE(first.required.size() == 1);
  CHECK(first.required[0].action == firewarden::firestore::Action::get);
  CHECK(first.patterns == std::vector<std::string>{"orders"});
  const auto& second = tally.observations[1];
  CHECK(second.count == 1);
  CHECK(second.decision == "deny");
  CHECK(second.required[0].collection.to_string() == "orders/o1/items");
  CHECK(second.patterns == std::vector<std::string>{"orders/*/items"});
}

TEST_CASE("suggest input: logging.format gcp lines are read as json lines") {
  AccessLogReader reader;
  std::string allowed;
  firewarden::telemetry::append_gcp_line(allowed, orders_get(), "shop-prod");
  CHECK_FALSE(reader.add_line(allowed, "gcp.log:1"));
  auto denied = orders_get("orders/o1/items");
  denied.decision = "deny";
  denied.status = 403;
  std::string denied_line;
  firewarden::telemetry::append_gcp_line(denied_line, denied, "shop-prod");
  CHECK_FALSE(reader.add_line(denied_line, "gcp.log:2"));
  CHECK_FALSE(
      reader.add_line(handshake_failure_json_line(7, "10.0.0.1:5555", "unknown_ca", true), "l"));
  CHECK_FALSE(reader.add_line(
      R"({"time":"2026-01-01T00:00:00.000Z","severity":"INFO","message":"hi"})", "l"));

  const auto& tally = reader.tally();
  CHECK(tally.request_lines == 2);
  CHECK(tally.other_lines == 2);
  REQUIRE(tally.observations.size() == 2);
  CHECK(tally.observations[0].first_seen == "gcp.log:1");
  CHECK(tally.observations[0].decision == "allow");
  CHECK(tally.observations[0].patterns == std::vector<std::string>{"orders"});
  CHECK(tally.observations[1].decision == "deny");
  CHECK(tally.observations[1].patterns == std::vector<std::string>{"orders/*/items"});
}

TEST_CASE("suggest input: lines that are not requests are skipped and counted") {
  AccessLogReader reader;
  CHECK_FALSE(reader.add_line(handshake_failure_json_line(7, "10.0.0.1:5555", "unknown_ca"), "l"));
  CHECK_FALSE(reader.add_line(R"({"time":"2026-01-01T00:00:00Z","level":"info","msg":"hi"})", "l"));
  CHECK_FALSE(reader.add_line("", "l"));
  CHECK_FALSE(reader.add_line("  \r", "l"));
  AccessRecord unauthenticated;  // refused before the policy: nothing required
  unauthenticated.decision = "error";
  unauthenticated.status = 401;
  CHECK_FALSE(reader.add_line(to_json_line(unauthenticated), "l"));
  auto begin_transaction = orders_get();
  begin_transaction.required.clear();
  CHECK_FALSE(reader.add_line(to_json_line(begin_transaction), "l"));

  const auto& tally = reader.tally();
  CHECK(tally.other_lines == 2);
  CHECK(tally.nothing_required == 2);
  CHECK(tally.request_lines == 0);
  CHECK(tally.observations.empty());
}

TEST_CASE("suggest input: a line that cannot be read is an error at FILE:LINE") {
  const std::string good = to_json_line(orders_get());
  const auto replaced = [&good](const std::string& from, const std::string& to) {
    const auto at = good.find(from);
    REQUIRE(at != std::string::npos);
    return std::string(good).replace(at, from.size(), to);
  };
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases{
      {"2026-01-01T00:00:00.000Z info firewarden listening", "not a JSON line"},
      {good.substr(0, good.size() - 1), "not a JSON line"},
      {"[1,2]", "not a JSON object"},
      {replaced(R"("log":"access")", R"("log":"access","decision":"allow")"), "duplicate key"},
      {replaced(R"("action":"get")", R"("action":"read")"), "unknown action \"read\""},
      {replaced(R"("collection":"orders")", R"("collection":"orders/o1")"),
       "cannot be written as a policy pattern"},
      {replaced(R"("collection":"orders")", R"("collection":"ord*")"),
       "cannot be written as a policy pattern"},
      {replaced(R"("collection":"orders")", R"("collection":"orders","x":1)"),
       "\"required\" entries must be"},
      {replaced(R"("decision":"allow")", R"("decision":"maybe")"), "\"decision\" is not"},
      {replaced(R"("identity":"spiffe://cluster.local/ns/orders/sa/api")", R"("identity":"")"),
       "\"identity\" is not a non-empty string"},
      {replaced(R"("identity":"spiffe://cluster.local/ns/orders/sa/api")",
                R"("identity":"spiffe://Cluster.local/x")"),
       "\"identity\" is not a SPIFFE ID"},
      {replaced(R"("namespace":"orders")", R"("namespace":"")"), "\"namespace\" is not"},
      {replaced(R"("namespace":"orders")", R"("namespace":"ord*")"), "holds '*' or '/'"},
      {replaced(R"("service_account":"api")", R"("service_account":7)"),
       "\"service_account\" is not"},
      {replaced(R"("required":[)", R"("required":{"a":[)"), "not a JSON line"},
      {replaced(R"("impersonated":null)", R"("impersonated":false)"), "\"impersonated\" is not"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    AccessLogReader reader;
    const auto error = reader.add_line(c.line, "a.log:12");
    REQUIRE(error);
    CHECK_THAT(*error, Catch::StartsWith("a.log:12: "));
    CHECK_THAT(*error, Catch::Contains(c.message));
    CHECK(reader.tally().observations.empty());
  }
}
