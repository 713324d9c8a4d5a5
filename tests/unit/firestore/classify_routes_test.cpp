// SPEC §5, one row per line of its table: what each Firestore request requires.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

struct Row {
  const char* name;
  std::string method;
  std::string target;
  std::string body;
  std::string expected;  // outcome(): "ok <rpc>: [action collection]…"
};

const std::string kUsersAlice = "\"" + kDb + "/documents/users/alice\"";

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.name << ": " << row.method << " " << row.target << " " << row.body);
    CHECK(outcome(classify_request(row.method, row.target, row.body)) == row.expected);
  }
}

}  // namespace

TEST_CASE("document reads and listings (GET)") {
  check_rows({
      {"get a document", "GET", kDocs + "/users/alice", "", "ok get: [get users]"},
      {"get a nested document", "GET", kDocs + "/users/alice/posts/p1", "",
       "ok get: [get users/alice/posts]"},
      {"list a root collection", "GET", kDocs + "/users", "", "ok listDocuments: [list users]"},
      {"list a subcollection (parent document + collectionId)", "GET", kDocs + "/users/alice/posts",
       "", "ok listDocuments: [list users/alice/posts]"},
      {"get with mask and transaction", "GET",
       kDocs + "/users/alice?mask.fieldPaths=a&mask.fieldPaths=b&transaction=dHg=", "",
       "ok get: [get users]"},
      {"list with every documented parameter", "GET",
       kDocs + "/users?pageSize=10&pageToken=abc&orderBy=name%20desc&mask.fieldPaths=a"
               "&readTime=2024-01-02T03:04:05Z&showMissing=true",
       "", "ok listDocuments: [list users]"},
  });
}

TEST_CASE("createDocument (POST on a collection)") {
  check_rows({
      {"create with a server-assigned ID", "POST", kDocs + "/orders",
       R"({"fields":{"total":{"integerValue":"5"}}})", "ok createDocument: [create orders]"},
      {"create with documentId", "POST", kDocs + "/users/alice/posts?documentId=p1", "{}",
       "ok createDocument: [create users/alice/posts]"},
      {"create with document_id", "POST", kDocs + "/orders?document_id=o1&mask.field_paths=a", "{}",
       "ok createDocument: [create orders]"},
  });
}

TEST_CASE("patch: update, create or both, by precondition") {
  check_rows({
      {"no precondition: upsert", "PATCH", kDocs + "/users/alice", R"({"fields":{}})",
       "ok patch: [create users] [update users]"},
      {"exists=true: update", "PATCH", kDocs + "/users/alice?currentDocument.exists=true", "{}",
       "ok patch: [update users]"},
      {"exists=false: create", "PATCH", kDocs + "/users/alice?currentDocument.exists=false", "{}",
       "ok patch: [create users]"},
      {"updateTime: update", "PATCH",
       kDocs + "/users/alice?currentDocument.updateTime=2024-05-06T07:08:09.123456Z", "{}",
       "ok patch: [update users]"},
      {"snake_case precondition", "PATCH", kDocs + "/users/alice?current_document.exists=true",
       "{}", "ok patch: [update users]"},
      {"mixed spelling per component", "PATCH",
       kDocs + "/users/alice?current_document.updateTime=2024-01-01T00:00:00Z", "{}",
       "ok patch: [update users]"},
      {"updateMask", "PATCH",
       kDocs + "/users/alice?updateMask.fieldPaths=a&updateMask.fieldPaths=b", "{}",
       "ok patch: [create users] [update users]"},
      {"body name equal to the URL's", "PATCH", kDocs + "/users/alice",
       "{\"name\":" + kUsersAlice + "}", "ok patch: [create users] [update users]"},
  });
}

TEST_CASE("delete") {
  check_rows({
      {"delete a document", "DELETE", kDocs + "/users/alice/posts/p1", "",
       "ok delete: [delete users/alice/posts]"},
      {"delete with precondition", "DELETE", kDocs + "/users/alice?currentDocument.exists=true", "",
       "ok delete: [delete users]"},
  });
}

TEST_CASE("batchGet: get for every documents[] entry") {
  check_rows({
      {"two collections", "POST", kDocs + ":batchGet",
       "{\"documents\":[" + kUsersAlice + ",\"" + kDb + "/documents/orders/o1\",\"" + kDb +
           "/documents/users/bob\"]}",
       "ok batchGet: [get users] [get orders]"},
      {"with mask and newTransaction", "POST", kDocs + ":batchGet",
       "{\"documents\":[" + kUsersAlice +
           R"(],"mask":{"fieldPaths":["a"]},"newTransaction":{"readOnly":{}}})",
       "ok batchGet: [get users]"},
      {"no documents", "POST", kDocs + ":batchGet", "{}", "ok batchGet:"},
  });
}

TEST_CASE("commit and batchWrite: per write") {
  const std::string doc = kUsersAlice;
  check_rows({
      {"update without precondition: upsert", "POST", kDocs + ":commit",
       "{\"writes\":[{\"update\":{\"name\":" + doc + ",\"fields\":{}}}]}",
       "ok commit: [create users] [update users]"},
      {"update with exists=true", "POST", kDocs + ":commit",
       "{\"writes\":[{\"update\":{\"name\":" + doc + "},\"currentDocument\":{\"exists\":true}}]}",
       "ok commit: [update users]"},
      {"update with exists=false (SDK create())", "POST", kDocs + ":commit",
       "{\"writes\":[{\"update\":{\"name\":" + doc + "},\"currentDocument\":{\"exists\":false}}]}",
       "ok commit: [create users]"},
      {"update with updateTime", "POST", kDocs + ":commit",
       "{\"writes\":[{\"update\":{\"name\":" + doc +
           "},\"currentDocument\":{\"updateTime\":\"2024-01-01T00:00:00Z\"}}]}",
       "ok commit: [update users]"},
      {"delete", "POST", kDocs + ":commit", "{\"writes\":[{\"delete\":" + doc + "}]}",
       "ok commit: [delete users]"},
      {"transform: as PATCH", "POST", kDocs + ":commit",
       "{\"writes\":[{\"transform\":{\"document\":" + doc +
           R"(,"fieldTransforms":[{"fieldPath":"n","increment":{"integerValue":"1"}}]}}]})",
       "ok commit: [create users] [update users]"},
      {"transform with exists=true", "POST", kDocs + ":commit",
       "{\"writes\":[{\"transform\":{\"document\":" + doc +
           R"(,"fieldTransforms":[{"fieldPath":"t","setToServerValue":"REQUEST_TIME"}]},)"
           R"("currentDocument":{"exists":true}}]})",
       "ok commit: [update users]"},
      {"update with updateMask and updateTransforms", "POST", kDocs + ":commit",
       "{\"writes\":[{\"update\":{\"name\":" + doc +
           R"(},"updateMask":{"fieldPaths":["a"]},)"
           R"("updateTransforms":[{"fieldPath":"t","setToServerValue":1}]}]})",
       "ok commit: [create users] [update users]"},
      {"transaction commit without writes", "POST", kDocs + ":commit", R"({"transaction":"dHgx"})",
       "ok commit:"},
      {"batchWrite with labels", "POST", kDocs + ":batchWrite",
       "{\"writes\":[{\"delete\":" + doc + R"(}],"labels":{"team":"a"}})",
       "ok batchWrite: [delete users]"},
  });
}

TEST_CASE("runQuery, runAggregationQuery, partitionQuery: query per from[]") {
  const auto query = [](const std::string& from) {
    return R"({"structuredQuery":{"from":[)" + from + "]}}";
  };
  check_rows({
      {"root collection", "POST", kDocs + ":runQuery", query(R"({"collectionId":"users"})"),
       "ok runQuery: [query users]"},
      {"subcollection of a document", "POST", kDocs + "/users/alice:runQuery",
       query(R"({"collectionId":"posts"})"), "ok runQuery: [query users/alice/posts]"},
      {"allDescendants (collection group)", "POST", kDocs + ":runQuery",
       query(R"({"collectionId":"posts","allDescendants":true})"), "ok runQuery: [query **/posts]"},
      {"allDescendants below a document", "POST", kDocs + "/users/alice:runQuery",
       query(R"({"collectionId":"posts","allDescendants":true})"),
       "ok runQuery: [query users/alice/**/posts]"},
      {"allDescendants false", "POST", kDocs + ":runQuery",
       query(R"({"collectionId":"posts","allDescendants":false})"), "ok runQuery: [query posts]"},
      {"kindless", "POST", kDocs + "/users/alice:runQuery", query("{}"),
       "ok runQuery: [query users/alice/*]"},
      {"kindless with empty collectionId", "POST", kDocs + ":runQuery",
       query(R"({"collectionId":""})"), "ok runQuery: [query *]"},
      {"kindless allDescendants", "POST", kDocs + "/users/alice:runQuery",
       query(R"({"allDescendants":true})"), "ok runQuery: [query users/alice/**/*]"},
      {"several selectors", "POST", kDocs + ":runQuery",
       query(R"({"collectionId":"a"},{"collectionId":"b"},{"collectionId":"a"})"),
       "ok runQuery: [query a] [query b]"},
      {"snake_case", "POST", kDocs + ":runQuery",
       R"({"structured_query":{"from":[{"collection_id":"posts","all_descendants":true}]}})",
       "ok runQuery: [query **/posts]"},
      {"aggregation", "POST", kDocs + "/users/alice:runAggregationQuery",
       R"({"structuredAggregationQuery":{"structuredQuery":{"from":[{"collectionId":"posts"}]},)"
       R"("aggregations":[{"alias":"n","count":{"upTo":"10"}},{"sum":{"field":{"fieldPath":"x"}}}]}})",
       "ok runAggregationQuery: [query users/alice/posts]"},
      {"partition", "POST", kDocs + ":partitionQuery",
       R"({"structuredQuery":{"from":[{"collectionId":"posts","allDescendants":true}]},)"
       R"("partitionCount":"4","pageSize":2})",
       "ok partitionQuery: [query **/posts]"},
  });
}

TEST_CASE("query wildcards are wildcards, a literal '*' collection is a literal") {
  const auto kindless = classify_request(
      "POST", kDocs + ":runQuery", R"({"structuredQuery":{"from":[{"allDescendants":true}]}})");
  const auto& segments = std::get<RequestModel>(kindless).requirements.at(0).collection.segments;
  REQUIRE(segments.size() == 2);
  CHECK(segments[0] == Segment::any_depth());
  CHECK(segments[1] == Segment::any_one());

  const auto star = classify_request("GET", kDocs + "/%2A/x");
  const auto& literal = std::get<RequestModel>(star).requirements.at(0).collection.segments;
  REQUIRE(literal.size() == 1);
  CHECK(literal[0] == Segment::literal("*"));
}

TEST_CASE("a full StructuredQuery is read") {
  const std::string body = R"({
    "structuredQuery": {
      "select": {"fields": [{"fieldPath": "a"}, {"fieldPath": "__name__"}]},
      "from": [{"collectionId": "orders"}],
      "where": {"compositeFilter": {"op": "OR", "filters": [
        {"fieldFilter": {"field": {"fieldPath": "status"}, "op": "EQUAL",
                         "value": {"stringValue": "open"}}},
        {"unaryFilter": {"op": "IS_NULL", "field": {"fieldPath": "closed"}}},
        {"fieldFilter": {"field": {"fieldPath": "tags"}, "op": 9,
                         "value": {"arrayValue": {"values": [{"stringValue": "x"}]}}}},
        {"fieldFilter": {"field": {"fieldPath": "__name__"}, "op": "GREATER_THAN",
                         "value": {"referenceValue": "projects/p/databases/(default)/documents/orders/o1"}}}
      ]}},
      "orderBy": [{"field": {"fieldPath": "total"}, "direction": "DESCENDING"}],
      "startAt": {"values": [{"doubleValue": 1.5}, {"doubleValue": "NaN"}], "before": true},
      "endAt": {"values": [{"mapValue": {"fields": {"from": {"nullValue": null}}}}]},
      "offset": 2,
      "limit": 10,
      "findNearest": {"vectorField": {"fieldPath": "embedding"},
                      "queryVector": {"mapValue": {"fields": {"__type__": {"stringValue": "__vector__"},
                        "value": {"arrayValue": {"values": [{"doubleValue": 1}]}}}}},
                      "distanceMeasure": "COSINE", "limit": 5,
                      "distanceResultField": "d", "distanceThreshold": 0.5}
    },
    "newTransaction": {"readWrite": {"retryTransaction": "YWJj"}},
    "explainOptions": {"analyze": true}
  })";
  CHECK(outcome(classify_request("POST", kDocs + ":runQuery", body)) ==
        "ok runQuery: [query orders]");
}

TEST_CASE("listCollectionIds: list_collections on PARENT/*") {
  check_rows({
      {"below a document", "POST", kDocs + "/users/alice:listCollectionIds", R"({"pageSize":10})",
       "ok listCollectionIds: [list_collections users/alice/*]"},
      {"root", "POST", kDocs + ":listCollectionIds", "{}",
       "ok listCollectionIds: [list_collections *]"},
  });
}

TEST_CASE("beginTransaction and rollback require nothing") {
  check_rows({
      {"read-write", "POST", kDocs + ":beginTransaction", R"({"options":{"readWrite":{}}})",
       "ok beginTransaction:"},
      {"read-only at a time", "POST", kDocs + ":beginTransaction",
       R"({"options":{"readOnly":{"readTime":"2024-01-01T00:00:00Z"}}})", "ok beginTransaction:"},
      {"rollback", "POST", kDocs + ":rollback", R"({"transaction":"dHgx"})", "ok rollback:"},
  });
}

TEST_CASE("unsupported methods are 501 UNIMPLEMENTED") {
  for (const std::string& target : {
           kDocs + ":listen",
           kDocs + ":write",
           kDocs + ":executePipeline",
           kDocs + "/users/alice:listen",
           kDocs + ":frobnicate",
           std::string("/v1/projects/p/databases/(default):exportDocuments"),
           std::string("/v1/projects/p/databases/(default)/indexes"),
           std::string("/v1/projects/p/databases/(default)"),
           std::string("/v1/projects/p/databases/(default)/collectionGroups/c/indexes"),
           std::string("/v1beta1/projects/p/databases/(default)/documents/users/alice"),
           std::string("/v1/projects/p/locations"),
       }) {
    INFO(target);
    const auto result = classify_request("POST", target, "{}");
    CHECK(status_of(result) == 501);
    CHECK(std::get<ApiError>(result).status == "UNIMPLEMENTED");
  }
  for (const std::string method : {"PUT", "HEAD", "OPTIONS", "CONNECT", "TRACE", "get"}) {
    INFO(method);
    CHECK(status_of(classify_request(method, kDocs + "/users/alice")) == 501);
  }
}

TEST_CASE("the model names project and database and carries what was checked") {
  const std::string body = R"({"fields":{"a":{"stringValue":"x"}}})";
  const auto result =
      classify_request("PATCH", kDocs + "/users/alice?currentDocument.exists=true", body);
  const auto& model = std::get<RequestModel>(result);
  CHECK(model.method == "patch");
  CHECK(model.project == "p");
  CHECK(model.database == "(default)");
  CHECK(model.upstream_body == body);
  CHECK(model.upstream_target == kDocs + "/users/alice?currentDocument.exists=true");
}

TEST_CASE("requirements are de-duplicated in order of first appearance") {
  std::string writes;
  for (int i = 0; i < 500; ++i) {
    if (!writes.empty()) writes += ',';
    const std::string name =
        "\"" + kDb + "/documents/" + (i % 2 ? "b/" : "a/") + std::to_string(i) + "\"";
    writes += i % 3 == 0 ? "{\"delete\":" + name + "}" : "{\"update\":{\"name\":" + name + "}}";
  }
  const auto result = classify_request("POST", kDocs + ":commit", "{\"writes\":[" + writes + "]}");
  CHECK(outcome(result) ==
        "ok commit: [delete a] [create b] [update b] [create a] [update a] [delete b]");
}
