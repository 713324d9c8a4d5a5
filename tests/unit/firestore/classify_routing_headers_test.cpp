// SPEC §6 routing hints: x-goog-request-params and google-cloud-resource-prefix
// must agree with the request's database, and upstream receives them rebuilt
// from it, never as the client sent them.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

const std::string kDoc = kDocs + "/users/alice";
const std::string kParamsPrefix = "projects%2Fp%2Fdatabases%2F(default)";
// What upstream receives for any accepted x-goog-request-params.
const std::string kRebuiltParams = "database=projects%2Fp%2Fdatabases%2F(default)";

ClassifyResult get_with(std::vector<std::pair<std::string, std::string>> headers,
                        const std::string& target = kDoc) {
  return classify_request(Request{"GET", target, "", std::move(headers)});
}

ClassifyResult get_with_params(const std::string& value) {
  return get_with({{"x-goog-request-params", value}});
}

}  // namespace

TEST_CASE("routing hints the SDKs send are accepted and rebuilt from the database") {
  struct Row {
    const char* what;
    std::string params;
  };
  const std::vector<Row> rows = {
      {"database (batchGet, commit, …)", "database=" + kParamsPrefix},
      {"database with an encoded (default)", "database=projects%2Fp%2Fdatabases%2F%28default%29"},
      {"name (getDocument)", "name=" + kParamsPrefix + "%2Fdocuments%2Fusers%2Falice"},
      {"document.name (updateDocument)",
       "document.name=" + kParamsPrefix + "%2Fdocuments%2Fusers%2Fa%20b%3A%20%C3%BC"},
      {"parent and collection_id (listDocuments)",
       "parent=" + kParamsPrefix + "%2Fdocuments&collection_id=anything%20at%20all"},
      {"project_id and database_id", "project_id=p&database_id=(default)"},
      // Python's api-core: urlencode(…, safe="/"), '+' for a space.
      {"name as Python sends it",
       "name=projects/p/databases/%28default%29/documents/users/a+b&collection_id=x+y"},
      {"database and name together",
       "database=" + kParamsPrefix + "&name=" + kParamsPrefix + "%2Fdocuments%2Fusers%2Falice"},
  };
  for (const Row& row : rows) {
    INFO(row.what << ": " << row.params);
    const auto result = get_with_params(row.params);
    INFO(outcome(result));
    REQUIRE(status_of(result) == 200);
    const auto& model = std::get<RequestModel>(result);
    CHECK(model.upstream_request_params == kRebuiltParams);
    CHECK(model.upstream_resource_prefix.empty());  // not sent: none added
  }
}

TEST_CASE("google-cloud-resource-prefix is rebuilt, and only when the client sent it") {
  const auto with_prefix = get_with({{"google-cloud-resource-prefix", kDb}});
  REQUIRE(status_of(with_prefix) == 200);
  CHECK(std::get<RequestModel>(with_prefix).upstream_resource_prefix == kDb);
  CHECK(std::get<RequestModel>(with_prefix).upstream_request_params.empty());

  const auto neither = get_with({});
  REQUIRE(status_of(neither) == 200);
  CHECK(std::get<RequestModel>(neither).upstream_resource_prefix.empty());
  CHECK(std::get<RequestModel>(neither).upstream_request_params.empty());

  // A named database is named in the rebuilt hints.
  const auto named =
      get_with({{"Google-Cloud-Resource-Prefix", "projects/p/databases/other-db"},
                {"X-Goog-Request-Params", "database=projects%2Fp%2Fdatabases%2Fother-db"}},
               "/v1/projects/p/databases/other-db/documents/users/alice");
  REQUIRE(status_of(named) == 200);
  CHECK(std::get<RequestModel>(named).upstream_resource_prefix == "projects/p/databases/other-db");
  CHECK(std::get<RequestModel>(named).upstream_request_params ==
        "database=projects%2Fp%2Fdatabases%2Fother-db");
}

TEST_CASE("x-goog-request-params that does not agree, or cannot be read, is refused") {
  struct Row {
    const char* what;
    std::string params;
  };
  const std::vector<Row> rows = {
      {"other database served by the proxy", "database=projects%2Fp%2Fdatabases%2Fother-db"},
      {"other project", "database=projects%2Fq%2Fdatabases%2F(default)"},
      {"database with a suffix", "database=" + kParamsPrefix + "%2Fdocuments"},
      {"dot-dot out of the database", "database=" + kParamsPrefix + "%2F..%2Fother-db"},
      {"name with dot-dot", "name=" + kParamsPrefix + "%2F..%2Fother-db%2Fdocuments%2Fu%2Fa"},
      {"name with a dot segment", "name=" + kParamsPrefix + "%2Fdocuments%2F.%2Fu"},
      {"name with an empty segment", "name=" + kParamsPrefix + "%2Fdocuments%2F%2Fu"},
      {"name with a trailing slash", "name=" + kParamsPrefix + "%2F"},
      {"name sharing only a prefix", "name=projects%2Fp%2Fdatabases%2F(default)x%2Fdocuments"},
      {"'+' is a space, not part of the database",
       "database=projects%2Fp%2Fdatabases%2F(default)+"},
      {"raw dot-dot segments", "name=projects/p/databases/(default)/../other-db/documents/u/a"},
      {"parent in another database", "parent=projects%2Fp%2Fdatabases%2Fother-db%2Fdocuments"},
      {"project_id of another project", "project_id=q"},
      {"database_id of another database", "database_id=other-db"},
      {"double-encoded slashes", "database=projects%252Fp%252Fdatabases%252F(default)"},
      {"double-encoded (default)", "database=projects%2Fp%2Fdatabases%2F%2528default%2529"},
      {"malformed escape", "database=" + kParamsPrefix + "&collection_id=%G0"},
      {"control character", "database=" + kParamsPrefix + "&collection_id=a%0Ab"},
      {"key given twice (same value)", "database=" + kParamsPrefix + "&database=" + kParamsPrefix},
      {"key given twice (other value)",
       "database=" + kParamsPrefix + "&database=projects%2Fp%2Fdatabases%2Fother-db"},
      {"key given twice in two encodings",
       "database=" + kParamsPrefix + "&d%61tabase=" + kParamsPrefix},
      {"unknown key", "database=" + kParamsPrefix + "&key=AIza-secret"},
      {"encoded unknown key", "database=" + kParamsPrefix + "&%6Bey=x"},
      {"empty value", ""},
      {"trailing '&'", "database=" + kParamsPrefix + "&"},
      {"key without a value", "database"},
      {"';' separator", "database=" + kParamsPrefix + ";name=x"},
  };
  for (const Row& row : rows) {
    INFO(row.what << ": " << row.params);
    const auto result = get_with_params(row.params);
    INFO(outcome(result));
    CHECK(status_of(result) == 400);
  }
}

TEST_CASE("google-cloud-resource-prefix other than the database, or given twice, is refused") {
  const std::vector<std::vector<std::pair<std::string, std::string>>> rows = {
      {{"google-cloud-resource-prefix", "projects/q/databases/(default)"}},
      {{"google-cloud-resource-prefix", "projects/p/databases/other-db"}},
      {{"google-cloud-resource-prefix", kDb + "/documents"}},
      {{"google-cloud-resource-prefix", kDb + "/../other-db"}},
      {{"google-cloud-resource-prefix", "projects/p/databases/%28default%29"}},
      {{"google-cloud-resource-prefix", "projects%2Fp%2Fdatabases%2F(default)"}},
      {{"google-cloud-resource-prefix", ""}},
      {{"google-cloud-resource-prefix", kDb}, {"Google-Cloud-Resource-Prefix", kDb}},
      {{"x-goog-request-params", "database=" + kParamsPrefix},
       {"X-Goog-Request-Params", "database=" + kParamsPrefix}},
      // A good prefix does not excuse bad params, nor the reverse.
      {{"google-cloud-resource-prefix", kDb}, {"x-goog-request-params", "database_id=other-db"}},
      {{"google-cloud-resource-prefix", "projects/q/databases/(default)"},
       {"x-goog-request-params", "database=" + kParamsPrefix}},
  };
  for (const auto& headers : rows) {
    std::string shown;
    for (const auto& [name, value] : headers) shown += name + ": " + value + "; ";
    INFO(shown);
    const auto result = get_with(headers);
    INFO(outcome(result));
    CHECK(status_of(result) == 400);
  }
}
