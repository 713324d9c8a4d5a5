// Requests captured from the real Node.js SDK (tests/fixtures/sdk/, see its
// README): every one the proxy supports must be accepted as the method it is,
// with the requirements a policy author would expect.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(FIREWARDEN_SOURCE_DIR) / "tests" / "fixtures" / "sdk";
const Scope kFixtureScope{"fixture-project", {"(default)", "fixture-db"}};

struct Fixture {
  std::string name;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::vector<Fixture> load_fixtures() {
  std::vector<Fixture> fixtures;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const nlohmann::json j = nlohmann::json::parse(in);
    Fixture f{j.at("name"), j.at("method"), j.at("target"), {}, j.at("body")};
    for (const auto& [name, value] : j.at("headers").items()) f.headers.emplace_back(name, value);
    fixtures.push_back(std::move(f));
  }
  std::sort(fixtures.begin(), fixtures.end(),
            [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
  return fixtures;
}

ClassifyResult classify_fixture(const Fixture& f) {
  HttpRequest request;
  request.method = f.method;
  request.target = f.target;
  request.body = f.body;
  for (const auto& [name, value] : f.headers) request.headers.emplace_back(name, value);
  return classify(request, kFixtureScope);
}

// The RPC a fixture is, read independently of the classifier: the ":verb" of
// its path, or the resource-style call its HTTP method and path parity make.
std::string expected_rpc(const Fixture& f) {
  const std::string path = f.target.substr(0, f.target.find('?'));
  const std::size_t colon = path.rfind(':');
  if (colon != std::string::npos) return path.substr(colon + 1);
  const std::string below = path.substr(path.find("/documents/") + 11);
  const bool document = std::count(below.begin(), below.end(), '/') % 2 == 1;
  if (f.method == "GET") return document ? "get" : "listDocuments";
  if (f.method == "POST") return "createDocument";
  if (f.method == "PATCH") return "patch";
  return "delete";
}

// Fixtures of methods firewarden refuses on purpose.
const std::map<std::string, int> kRefused = {
    {"pipeline-execute", 501},  // executePipeline cannot be authorized per collection
};

}  // namespace

TEST_CASE("every captured SDK request is classified as the method it is") {
  const std::vector<Fixture> fixtures = load_fixtures();
  REQUIRE(fixtures.size() > 50);
  for (const Fixture& f : fixtures) {
    INFO(f.name << ": " << f.method << " " << f.target);
    const ClassifyResult result = classify_fixture(f);
    INFO(outcome(result));
    if (const auto refused = kRefused.find(f.name); refused != kRefused.end()) {
      CHECK(status_of(result) == refused->second);
      continue;
    }
    REQUIRE(status_of(result) == 200);
    const auto& model = std::get<RequestModel>(result);
    CHECK(model.method == expected_rpc(f));
    CHECK(model.project == "fixture-project");
    CHECK(model.upstream_body == f.body);
    const bool touches_nothing = model.method == "beginTransaction" || model.method == "rollback";
    CHECK(model.requirements.empty() == touches_nothing);
  }
}

TEST_CASE("captured SDK routing headers are accepted and rebuilt to the database") {
  std::size_t with_params = 0;
  for (const Fixture& f : load_fixtures()) {
    if (kRefused.count(f.name) != 0) continue;
    INFO(f.name);
    const ClassifyResult result = classify_fixture(f);
    REQUIRE(status_of(result) == 200);
    const auto& model = std::get<RequestModel>(result);
    const std::string database = "projects/fixture-project/databases/" + model.database;
    const auto sent = [&](const std::string& name) {
      return std::any_of(f.headers.begin(), f.headers.end(),
                         [&](const auto& header) { return header.first == name; });
    };
    CHECK(model.upstream_resource_prefix ==
          (sent("google-cloud-resource-prefix") ? database : std::string()));
    if (sent("x-goog-request-params")) {
      ++with_params;
      CHECK(model.upstream_request_params ==
            "database=projects%2Ffixture-project%2Fdatabases%2F" + model.database);
    } else {
      CHECK(model.upstream_request_params.empty());
    }
  }
  CHECK(with_params > 50);
}

TEST_CASE("captured SDK requests require what their SDK call implies") {
  const std::map<std::string, std::string> expected = {
      {"doc-create", "ok commit: [create cities]"},
      {"doc-update", "ok commit: [update cities]"},
      {"doc-set-merge", "ok commit: [create cities] [update cities]"},
      {"doc-delete", "ok commit: [delete misc]"},
      {"doc-get", "ok batchGet: [get cities]"},
      {"collection-add", "ok commit: [create cities]"},
      {"subcollection-deep-doc-set",
       "ok commit: [create cities/SF/landmarks/GoldenGate/reviews] "
       "[update cities/SF/landmarks/GoldenGate/reviews]"},
      {"list-documents", "ok listDocuments: [list cities]"},
      {"list-collections-root", "ok listCollectionIds: [list_collections *]"},
      {"list-collections-nested",
       "ok listCollectionIds: [list_collections cities/SF/landmarks/GoldenGate/*]"},
      {"query-subcollection", "ok runQuery: [query cities/SF/landmarks]"},
      {"collection-group-query", "ok runQuery: [query **/landmarks]"},
      {"collection-group-count", "ok runAggregationQuery: [query **/landmarks]"},
      {"recursive-delete-1-runQuery", "ok runQuery: [query cities/SF/landmarks/GoldenGate/**/*]"},
      {"gapic-update-document", "ok patch: [update cities/SF/gapic docs]"},
      {"gapic-delete-document-precondition", "ok delete: [delete cities/SF/gapic docs]"},
      {"gapic-create-document", "ok createDocument: [create cities/SF/gapic docs]"},
      {"named-database-list-documents", "ok listDocuments: [list items]"},
  };
  for (const Fixture& f : load_fixtures()) {
    const auto wanted = expected.find(f.name);
    if (wanted == expected.end()) continue;
    INFO(f.name);
    CHECK(outcome(classify_fixture(f)) == wanted->second);
  }
}
