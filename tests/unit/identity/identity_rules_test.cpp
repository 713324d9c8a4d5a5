// Trust domains and the shared SPIFFE ID -> Identity step used by every mode.
#include "firewarden/identity/identity_rules.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "identity_test_support.hpp"

namespace firewarden::identity {
namespace {

using test::detail_of;
using test::reason_of;

TEST_CASE("make_identity_rules validates config values") {
  CHECK(reason_of(make_identity_rules({"cluster.local"}, "/ns/{namespace}")).empty());
  CHECK(reason_of(make_identity_rules({}, "/ns/{namespace}")) == "no_trust_domains");

  const Result<IdentityRules> bad_domain =
      make_identity_rules({"cluster.local", "Partner.example"}, "/ns/{namespace}");
  CHECK(reason_of(bad_domain) == "bad_trust_domain");
  CHECK(detail_of(bad_domain).starts_with("trust_domains[1]: bad_trust_domain"));

  const Result<IdentityRules> bad_template = make_identity_rules({"cluster.local"}, "/ns/{foo}");
  CHECK(reason_of(bad_template) == "bad_path_template");
  CHECK(detail_of(bad_template).starts_with("unknown_variable: "));
}

struct Row {
  std::string name;
  std::string spiffe_id;
  std::string reason;  // "" = accepted
};

TEST_CASE("identity_from_string accepts trusted workload IDs only") {
  const IdentityRules rules = test::kubernetes_rules({"cluster.local", "partner.example"});
  const std::vector<Row> rows = {
      {"trusted", "spiffe://cluster.local/ns/orders/sa/default", ""},
      {"second trusted domain", "spiffe://partner.example/ns/a/sa/b", ""},
      {"trusted, path outside the template", "spiffe://cluster.local/payments/web", "off_template"},
      {"one segment too many", "spiffe://cluster.local/ns/analytics/sa/x/y", "off_template"},
      {"one segment too few", "spiffe://cluster.local/ns/analytics", "off_template"},
      {"literal in the wrong case", "spiffe://cluster.local/NS/analytics/sa/x", "off_template"},
      {"namespace no Kubernetes name", "spiffe://cluster.local/ns/Analytics/sa/x", "off_template"},
      {"service account no Kubernetes name", "spiffe://cluster.local/ns/a/sa/x_y", "off_template"},
      {"other trust domain", "spiffe://evil.example/ns/orders/sa/default",
       "untrusted_trust_domain"},
      {"trusted name as a suffix", "spiffe://evil-cluster.local/ns/a/sa/b",
       "untrusted_trust_domain"},
      {"trusted name as a prefix", "spiffe://cluster.local.evil/ns/a/sa/b",
       "untrusted_trust_domain"},
      {"subdomain of a trusted domain", "spiffe://x.cluster.local/ns/a/sa/b",
       "untrusted_trust_domain"},
      {"trust domain ID names no workload", "spiffe://cluster.local", "missing_path"},
      {"not a SPIFFE ID", "spiffe://cluster.local:443/ns/a/sa/b", "invalid_spiffe_id"},
      {"uppercase trusted domain", "spiffe://CLUSTER.LOCAL/ns/a/sa/b", "invalid_spiffe_id"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    CHECK(reason_of(identity_from_string(row.spiffe_id, rules)) == row.reason);
  }
}

TEST_CASE("identity_from_string extracts namespace and service account") {
  const Result<Identity> result =
      identity_from_string("spiffe://cluster.local/ns/orders/sa/default", test::kubernetes_rules());
  REQUIRE(reason_of(result).empty());
  CHECK(std::get<Identity>(result) == Identity{"spiffe://cluster.local/ns/orders/sa/default",
                                               "cluster.local", "orders", "default"});
}

TEST_CASE("require_template false admits an off-template ID without namespace or account") {
  auto rules = make_identity_rules({"cluster.local"}, "/ns/{namespace}/sa/{service_account}",
                                   /*require_template=*/false);
  REQUIRE(reason_of(rules).empty());
  const IdentityRules& lenient = std::get<IdentityRules>(rules);
  CHECK_FALSE(lenient.require_template);
  for (const char* id :
       {"spiffe://cluster.local/ns/analytics/sa/x/y", "spiffe://cluster.local/ns/analytics",
        "spiffe://cluster.local/NS/analytics/sa/x", "spiffe://cluster.local/ns/Analytics/sa/x"}) {
    INFO(id);
    const Result<Identity> result = identity_from_string(id, lenient);
    REQUIRE(reason_of(result).empty());
    CHECK(std::get<Identity>(result) ==
          Identity{id, "cluster.local", std::nullopt, std::nullopt, /*fits_template=*/false});
  }
  // Trust domains are checked all the same.
  CHECK(reason_of(identity_from_string("spiffe://evil.example/x", lenient)) ==
        "untrusted_trust_domain");
  // A fitting ID is unchanged.
  const Result<Identity> fits = identity_from_string("spiffe://cluster.local/ns/a/sa/b", lenient);
  REQUIRE(reason_of(fits).empty());
  CHECK(std::get<Identity>(fits) ==
        Identity{"spiffe://cluster.local/ns/a/sa/b", "cluster.local", "a", "b", true});
}

TEST_CASE("the off_template refusal names the template, not the ID") {
  const Result<Identity> result =
      identity_from_string("spiffe://cluster.local/ns/x/sa/y/z", test::kubernetes_rules());
  CHECK(reason_of(result) == "off_template");
  CHECK(detail_of(result).find("/ns/{namespace}/sa/{service_account}") != std::string::npos);
}

TEST_CASE("an untrusted domain is named in the detail") {
  const Result<Identity> result =
      identity_from_string("spiffe://evil.example/x", test::kubernetes_rules());
  CHECK(detail_of(result).find("evil.example") != std::string::npos);
}

TEST_CASE("rules without trust domains trust nothing") {
  const IdentityRules empty{};
  CHECK(reason_of(identity_from_string("spiffe://cluster.local/x", empty)) ==
        "untrusted_trust_domain");
}

TEST_CASE("identity_from_spiffe_id passes an earlier error through") {
  const Result<SpiffeId> refused = Error{"no_uri_san", "x"};
  CHECK(reason_of(identity_from_spiffe_id(refused, test::kubernetes_rules())) == "no_uri_san");
}

TEST_CASE("is_trusted_domain compares exactly") {
  const std::vector<std::string> domains = {"cluster.local"};
  CHECK(is_trusted_domain("cluster.local", domains));
  CHECK_FALSE(is_trusted_domain("cluster.loca", domains));
  CHECK_FALSE(is_trusted_domain("", domains));
}

}  // namespace
}  // namespace firewarden::identity
