// SPEC §5 header rules: JSON or nothing, no Content-Encoding, no method override.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

struct Row {
  const char* rule;
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int status;
};

}  // namespace

TEST_CASE("headers that would change what Google executes or reads are refused") {
  const std::string query = R"({"structuredQuery":{"from":[{"collectionId":"u"}]}})";
  const std::vector<Row> rows = {
      {"X-HTTP-Method-Override",
       "POST",
       {{"Content-Type", "application/json"}, {"X-HTTP-Method-Override", "DELETE"}},
       query,
       400},
      {"X-HTTP-Method",
       "POST",
       {{"Content-Type", "application/json"}, {"X-HTTP-Method", "PATCH"}},
       query,
       400},
      {"X-Method-Override",
       "POST",
       {{"Content-Type", "application/json"}, {"X-Method-Override", "POST"}},
       query,
       400},
      {"override header in lower case",
       "POST",
       {{"Content-Type", "application/json"}, {"x-http-method-override", "GET"}},
       query,
       400},
      {"Content-Encoding gzip",
       "POST",
       {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
       query,
       400},
      {"Content-Encoding identity",
       "POST",
       {{"Content-Type", "application/json"}, {"content-encoding", "identity"}},
       query,
       400},
      {"text/plain", "POST", {{"Content-Type", "text/plain"}}, query, 400},
      {"form", "POST", {{"Content-Type", "application/x-www-form-urlencoded"}}, query, 400},
      {"json suffix type", "POST", {{"Content-Type", "application/json-patch+json"}}, query, 400},
      {"charset latin1",
       "POST",
       {{"Content-Type", "application/json; charset=latin1"}},
       query,
       400},
      {"extra parameter", "POST", {{"Content-Type", "application/json; x=y"}}, query, 400},
      {"two Content-Types",
       "POST",
       {{"Content-Type", "application/json"}, {"content-type", "application/json"}},
       query,
       400},
      {"body without Content-Type", "POST", {{"Accept", "application/json"}}, query, 400},
      {"charset utf-8", "POST", {{"Content-Type", "application/json; charset=utf-8"}}, query, 200},
      {"charset UTF-8, no space",
       "POST",
       {{"Content-Type", "application/json;charset=UTF-8"}},
       query,
       200},
      {"type in capitals", "POST", {{"Content-Type", "Application/JSON"}}, query, 200},
  };
  for (const Row& row : rows) {
    INFO(row.rule);
    const auto result = classify_request({row.method, kDocs + ":runQuery", row.body, row.headers});
    INFO(outcome(result));
    CHECK(status_of(result) == row.status);
  }
}

TEST_CASE("GET and DELETE carry no body") {
  CHECK(status_of(classify_request("GET", kDocs + "/users/alice", "{}")) == 400);
  CHECK(status_of(classify_request("DELETE", kDocs + "/users/alice", "{}")) == 400);
  CHECK(status_of(classify_request({"GET", kDocs + "/users/alice", "", {}})) == 200);
  CHECK(status_of(classify_request(
            {"DELETE", kDocs + "/users/alice", "", {{"Content-Type", "application/json"}}})) ==
        200);
}
