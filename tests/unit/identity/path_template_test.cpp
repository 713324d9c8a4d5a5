// identity.path_template: compiling templates and applying them to paths.
#include "firewarden/identity/path_template.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "identity_test_support.hpp"

namespace firewarden::identity {
namespace {

using test::detail_of;
using test::reason_of;

constexpr std::string_view kubernetes_template = "/ns/{namespace}/sa/{service_account}";

PathTemplate compiled(std::string_view text) {
  Result<PathTemplate> result = PathTemplate::compile(text);
  REQUIRE(reason_of(result).empty());
  return std::get<PathTemplate>(std::move(result));
}

TEST_CASE("valid path templates compile") {
  const std::vector<std::string> templates = {
      std::string(kubernetes_template), "/{namespace}",
      "/sa/{service_account}",          "/{service_account}/{namespace}",
      "/fixed/path/no-variables",       "/Mixed.Case_lit-eral/{namespace}",
  };
  for (const std::string& text : templates) {
    INFO(text);
    const Result<PathTemplate> result = PathTemplate::compile(text);
    REQUIRE(reason_of(result).empty());
    CHECK(std::get<PathTemplate>(result).text() == text);
  }
}

struct BadTemplateRow {
  std::string name;
  std::string text;
  std::string reason;
};

TEST_CASE("invalid path templates are refused with a reason") {
  const std::vector<BadTemplateRow> rows = {
      {"empty", "", "empty"},
      {"too long", "/" + std::string(2048, 'a'), "too_long"},
      {"relative", "ns/{namespace}", "missing_leading_slash"},
      {"root only", "/", "trailing_slash"},
      {"trailing slash", "/ns/{namespace}/", "trailing_slash"},
      {"empty segment", "/ns//{namespace}", "empty_segment"},
      {"dot segment", "/./{namespace}", "dot_segment"},
      {"dot-dot segment", "/ns/../{namespace}", "dot_segment"},
      {"literal with a space", "/n s/{namespace}", "bad_path_character"},
      {"literal glob", "/ns/*", "bad_path_character"},
      {"literal with percent", "/ns%2F/{namespace}", "bad_path_character"},
      {"unknown variable", "/ns/{foo}", "unknown_variable"},
      {"empty variable", "/{}", "unknown_variable"},
      {"variables are case-sensitive", "/{Namespace}", "unknown_variable"},
      {"trust_domain is not a path variable", "/{trust_domain}", "unknown_variable"},
      {"namespace twice", "/{namespace}/{namespace}", "duplicate_variable"},
      {"service_account twice", "/{service_account}/x/{service_account}", "duplicate_variable"},
      {"prefix before variable", "/ns-{namespace}", "partial_variable"},
      {"suffix after variable", "/{namespace}x", "partial_variable"},
      {"unclosed brace", "/{namespace", "partial_variable"},
      {"unopened brace", "/namespace}", "partial_variable"},
      {"nested braces", "/{{namespace}}", "partial_variable"},
      {"two variables in one segment", "/{namespace}{service_account}", "partial_variable"},
  };
  for (const BadTemplateRow& row : rows) {
    INFO(row.name);
    CHECK(reason_of(PathTemplate::compile(row.text)) == row.reason);
  }
}

TEST_CASE("an unknown variable is named in the message") {
  const Result<PathTemplate> result = PathTemplate::compile("/ns/{foo}");
  CHECK(detail_of(result).find("{foo}") != std::string::npos);
}

struct MatchRow {
  std::string name;
  std::string template_text;
  std::string path;
  std::optional<PathCaptures> expected;
};

TEST_CASE("a template captures whole segments on an exact segment-count match") {
  const std::string k8s(kubernetes_template);
  const std::vector<MatchRow> rows = {
      {"fits", k8s, "/ns/orders/sa/default", PathCaptures{"orders", "default"}},
      {"service account may be a DNS subdomain", k8s, "/ns/orders/sa/web.front-end",
       PathCaptures{"orders", "web.front-end"}},
      {"uppercase namespace is no Kubernetes name", k8s, "/ns/Orders/sa/web", std::nullopt},
      {"uppercase service account", k8s, "/ns/orders/sa/Web", std::nullopt},
      {"underscore in a service account", k8s, "/ns/orders/sa/web_fe", std::nullopt},
      {"dot in a namespace", k8s, "/ns/orders.eu/sa/web", std::nullopt},
      {"too few segments", k8s, "/ns/orders/sa", std::nullopt},
      {"too many segments", k8s, "/ns/orders/sa/default/extra", std::nullopt},
      {"literal differs", k8s, "/ns/orders/sx/default", std::nullopt},
      {"literals are case-sensitive", k8s, "/NS/orders/sa/default", std::nullopt},
      {"trust domain ID", k8s, "", std::nullopt},
      {"only namespace", "/{namespace}", "/orders", PathCaptures{"orders", std::nullopt}},
      {"only service account", "/sa/{service_account}", "/sa/web",
       PathCaptures{std::nullopt, "web"}},
      {"variables in any order", "/{service_account}/{namespace}", "/web/orders",
       PathCaptures{"orders", "web"}},
      {"no variables, fits", "/fixed", "/fixed", PathCaptures{}},
      {"empty segment never captured", "/{namespace}/x", "//x", std::nullopt},
  };
  for (const MatchRow& row : rows) {
    INFO(row.name);
    CHECK(compiled(row.template_text).match(row.path) == row.expected);
  }
}

TEST_CASE("Kubernetes names: namespaces are DNS labels, service accounts DNS subdomains") {
  struct NameRow {
    std::string name;
    bool namespace_ok;
    bool service_account_ok;
  };
  const std::vector<NameRow> rows = {
      {"orders", true, true},
      {"a", true, true},
      {"0", true, true},
      {"etl-2", true, true},
      {"web.front-end", false, true},
      {"a.b.c", false, true},
      {"", false, false},
      {"-orders", false, false},
      {"orders-", false, false},
      {"Orders", false, false},
      {"or_ders", false, false},
      {"a..b", false, false},
      {".a", false, false},
      {"a.", false, false},
      {"a.-b", false, false},
      {std::string(63, 'a'), true, true},
      {std::string(64, 'a'), false, true},  // Kubernetes checks no label length in a subdomain
      {std::string(253, 'a'), false, true},
      {std::string(254, 'a'), false, false},
      {std::string(126, 'a') + "." + std::string(126, 'b'), false, true},
      {std::string(127, 'a') + "." + std::string(126, 'b'), false, false},
  };
  for (const NameRow& row : rows) {
    INFO(row.name);
    CHECK(is_kubernetes_namespace(row.name) == row.namespace_ok);
    CHECK(is_kubernetes_service_account(row.name) == row.service_account_ok);
  }
}

TEST_CASE("a default-constructed template extracts nothing") {
  const PathTemplate none;
  CHECK_FALSE(none.match("/ns/orders/sa/default"));
  CHECK_FALSE(none.match(""));
}

SpiffeId parsed(std::string_view text) { return std::get<SpiffeId>(parse_spiffe_id(text)); }

TEST_CASE("make_identity fills namespace and service account when the path fits") {
  const Identity identity = make_identity(parsed("spiffe://cluster.local/ns/orders/sa/default"),
                                          compiled(kubernetes_template));
  CHECK(identity == Identity{"spiffe://cluster.local/ns/orders/sa/default", "cluster.local",
                             "orders", "default"});
}

TEST_CASE("make_identity leaves both empty when the path does not fit") {
  const Identity identity =
      make_identity(parsed("spiffe://cluster.local/payments/web"), compiled(kubernetes_template));
  CHECK(identity == Identity{"spiffe://cluster.local/payments/web", "cluster.local", std::nullopt,
                             std::nullopt, false});
}

}  // namespace
}  // namespace firewarden::identity
