// SPEC §5 body rules: strict JSON, read against each request message's schema.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

struct Row {
  const char* rule;
  std::string target;  // POST
  std::string body;
  int status;
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.body.substr(0, 300));
    const auto result = classify_request("POST", row.target, row.body);
    INFO(outcome(result));
    CHECK(status_of(result) == row.status);
  }
}

const std::string kAlice = "\"" + kDb + "/documents/users/alice\"";
const std::string kCommit = kDocs + ":commit";
const std::string kRunQuery = kDocs + ":runQuery";

std::string commit_update(const std::string& fields) {
  return "{\"writes\":[{\"update\":{\"name\":" + kAlice + ",\"fields\":" + fields + "}}]}";
}

std::string nested_maps(int depth) {
  std::string value = R"({"stringValue":"leaf"})";
  for (int i = 0; i < depth; ++i) value = R"({"mapValue":{"fields":{"m":)" + value + "}}}";
  return value;
}

}  // namespace

TEST_CASE("bodies that are not one JSON object are refused") {
  check_rows({
      {"empty body", kCommit, "", 400},
      {"array", kCommit, "[]", 400},
      {"string", kCommit, "\"x\"", 400},
      {"number", kCommit, "1", 400},
      {"null", kCommit, "null", 400},
      {"not JSON", kCommit, "writes=1", 400},
      {"trailing garbage", kCommit, "{}x", 400},
      {"two objects", kCommit, "{}{}", 400},
      {"trailing NUL", kCommit, std::string("{}\0", 3), 400},
      {"NUL, then what a second parser would read", kCommit,
       std::string("{}\0{\"writes\":[{\"delete\":\"x\"}]}", 28), 400},
      {"byte order mark", kCommit, "\xEF\xBB\xBF{}", 400},
      {"single quotes", kCommit, "{'writes':[]}", 400},
      {"comment", kCommit, "{/* c */}", 400},
      {"trailing comma", kCommit, R"({"writes":[],})", 400},
      {"whitespace around", kCommit, " \n{}\t ", 200},
  });
}

TEST_CASE("JSON values outside RFC 8259 are refused") {
  const auto with_value = [](const std::string& v) { return commit_update(R"({"a":)" + v + "}"); };
  check_rows({
      {"NaN literal", kCommit, with_value(R"({"doubleValue":NaN})"), 400},
      {"Infinity literal", kCommit, with_value(R"({"doubleValue":Infinity})"), 400},
      {"number overflow", kCommit, with_value(R"({"doubleValue":1e400})"), 400},
      {"negative overflow", kCommit, with_value(R"({"doubleValue":-1e400})"), 400},
      {"invalid UTF-8", kCommit, with_value("{\"stringValue\":\"\xFF\"}"), 400},
      {"overlong UTF-8", kCommit, with_value("{\"stringValue\":\"\xC0\xAF\"}"), 400},
      {"encoded surrogate", kCommit, with_value("{\"stringValue\":\"\xED\xA0\x80\"}"), 400},
      {"lone high surrogate escape", kCommit, with_value(R"({"stringValue":"\ud800"})"), 400},
      {"lone low surrogate escape", kCommit, with_value(R"({"stringValue":"\udc00"})"), 400},
      {"high surrogate then letter", kCommit, with_value(R"({"stringValue":"\ud800\u0041"})"), 400},
      {"raw control character", kCommit, with_value("{\"stringValue\":\"a\x01\"}"), 400},
      {"surrogate pair", kCommit, with_value(R"({"stringValue":"\ud83d\ude00"})"), 200},
      {"NaN as proto3 JSON string", kCommit, with_value(R"({"doubleValue":"NaN"})"), 200},
      {"-Infinity as proto3 JSON string", kCommit, with_value(R"({"doubleValue":"-Infinity"})"),
       200},
  });
}

TEST_CASE("nesting is bounded") {
  check_rows({
      {"20 nested maps (Firestore's limit)", kCommit,
       commit_update("{\"m\":" + nested_maps(20) + "}"), 200},
      {"40 nested maps (over the JSON depth limit)", kCommit,
       commit_update("{\"m\":" + nested_maps(40) + "}"), 400},
      {"deep arrays", kCommit, std::string(5000, '[') + std::string(5000, ']'), 400},
      {"deep objects", kCommit,
       [] {
         std::string s;
         for (int i = 0; i < 5000; ++i) s += "{\"a\":";
         return s + "1" + std::string(5000, '}');
       }(),
       400},
  });
}

TEST_CASE("duplicate keys are refused at any level") {
  check_rows({
      {"top level", kCommit, R"({"writes":[],"writes":[]})", 400},
      {"same key through a \\u escape", kCommit, R"({"writes":[],"wr\u0069tes":[]})", 400},
      {"inside a write (Google would take the last)", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"delete\":\"" + kDb + "/documents/admin/root\"}]}",
       400},
      {"precondition", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(},"currentDocument":{"exists":true,"exists":false}}]})",
       400},
      {"inside a document's fields (user data)", kCommit,
       commit_update(R"({"a":{"nullValue":null},"a":{"nullValue":null}})"), 400},
      {"inside a mapValue", kCommit,
       commit_update(
           R"({"m":{"mapValue":{"fields":{"k":{"nullValue":null},"k":{"nullValue":null}}}}})"),
       400},
      {"in a query", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","collectionId":"b"}]}})", 400},
  });
}

TEST_CASE("fields the schema does not have are refused") {
  check_rows({
      {"database in a commit (path-bound)", kCommit,
       R"({"database":"projects/p/databases/other-db","writes":[]})", 400},
      {"parent in a query (path-bound)", kRunQuery,
       R"({"parent":"projects/p/databases/(default)/documents/admin/x",)"
       R"("structuredQuery":{"from":[{"collectionId":"a"}]}})",
       400},
      {"unknown top-level field", kCommit, R"({"writes":[],"mode":"TRANSACTIONAL"})", 400},
      {"unknown field in a write", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"verify\":\"x\"}]}", 400},
      {"unknown field in a selector", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","parent":"admin"}]}})", 400},
      {"camelCase typo", kRunQuery, R"({"structuredquery":{"from":[{"collectionId":"a"}]}})", 400},
      {"unknown Value kind (pipelines)", kCommit,
       commit_update(R"({"a":{"fieldReferenceValue":"b"}})"), 400},
      {"unknown field in a Value", kCommit, commit_update(R"({"a":{"stringValue":"x","x":1}})"),
       400},
      {"name in a batchGet", kDocs + ":batchGet", R"({"name":"x","documents":[]})", 400},
      {"snake_case of a one-word field is itself", kCommit, R"({"Writes":[]})", 400},
  });
}

TEST_CASE("a field given in both spellings is refused") {
  check_rows({
      {"structuredQuery", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}]},)"
       R"("structured_query":{"from":[{"collectionId":"admin"}]}})",
       400},
      {"collectionId", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","collection_id":"admin"}]}})", 400},
      {"currentDocument", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(},"currentDocument":{"exists":true},"current_document":{"exists":false}}]})",
       400},
      {"allDescendants", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","allDescendants":false,)"
       R"("all_descendants":true}]}})",
       400},
  });
}

TEST_CASE("keys are compared after JSON unescaping, as Google compares them") {
  CHECK(outcome(classify_request(
            "POST", kRunQuery,
            R"({"structured\u005fquery":{"from":[{"collection\u005Fid":"posts"}]}})")) ==
        "ok runQuery: [query posts]");
}

TEST_CASE("snake_case-only bodies classify like lowerCamel ones") {
  struct Pair {
    const char* name;
    std::string target;
    std::string camel;
    std::string snake;
  };
  const std::vector<Pair> pairs = {
      {"commit with precondition", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(,"updateTime":"2024-01-01T00:00:00Z"},"updateMask":{"fieldPaths":["a"]},)"
           R"("currentDocument":{"exists":false}}]})",
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(,"update_time":"2024-01-01T00:00:00Z"},"update_mask":{"field_paths":["a"]},)"
           R"("current_document":{"exists":false}}]})"},
      {"transform", kCommit,
       "{\"writes\":[{\"transform\":{\"document\":" + kAlice +
           R"(,"fieldTransforms":[{"fieldPath":"n","appendMissingElements":{"values":[]}}]},)"
           R"("currentDocument":{"updateTime":"2024-01-01T00:00:00Z"}}]})",
       "{\"writes\":[{\"transform\":{\"document\":" + kAlice +
           R"(,"field_transforms":[{"field_path":"n","append_missing_elements":{"values":[]}}]},)"
           R"("current_document":{"update_time":"2024-01-01T00:00:00Z"}}]})"},
      {"collection group query", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"posts","allDescendants":true}],)"
       R"("orderBy":[{"field":{"fieldPath":"a"}}],"startAt":{"values":[{"integerValue":"1"}]}},)"
       R"("readTime":"2024-01-01T00:00:00Z"})",
       R"({"structured_query":{"from":[{"collection_id":"posts","all_descendants":true}],)"
       R"("order_by":[{"field":{"field_path":"a"}}],"start_at":{"values":[{"integer_value":"1"}]}},)"
       R"("read_time":"2024-01-01T00:00:00Z"})"},
      {"aggregation", kDocs + ":runAggregationQuery",
       R"({"structuredAggregationQuery":{"structuredQuery":{"from":[{"collectionId":"a"}]},)"
       R"("aggregations":[{"count":{"upTo":5}}]},"newTransaction":{"readOnly":{"readTime":)"
       R"("2024-01-01T00:00:00Z"}}})",
       R"({"structured_aggregation_query":{"structured_query":{"from":[{"collection_id":"a"}]},)"
       R"("aggregations":[{"count":{"up_to":5}}]},"new_transaction":{"read_only":{"read_time":)"
       R"("2024-01-01T00:00:00Z"}}})"},
  };
  for (const Pair& pair : pairs) {
    INFO(pair.name);
    const auto camel = classify_request("POST", pair.target, pair.camel);
    const auto snake = classify_request("POST", pair.target, pair.snake);
    CHECK(status_of(camel) == 200);
    CHECK(outcome(snake) == outcome(camel));
  }
}

TEST_CASE("document data may use any keys, including schema-like ones") {
  check_rows({
      {"keys named like fields", kCommit,
       commit_update(
           R"({"name":{"stringValue":"x"},"update":{"booleanValue":true},)"
           R"("structured_query":{"nullValue":null},"currentDocument":{"integerValue":1}})"),
       200},
      {"reserved-looking and odd keys", kCommit,
       commit_update(
           R"({"__name__":{"stringValue":"x"},"":{"stringValue":"e"},"a.b":{"stringValue":"c"},)"
           R"("\u00e9":{"bytesValue":"YQ=="}})"),
       200},
      {"keys inside a mapValue", kCommit,
       commit_update(
           R"({"m":{"mapValue":{"fields":{"delete":{"referenceValue":"projects/q/x"}}}}})"),
       200},
      {"every Value kind", kCommit,
       commit_update(
           R"({"a":{"nullValue":"NULL_VALUE"},"b":{"booleanValue":false},)"
           R"("c":{"integerValue":"-9223372036854775808"},"d":{"doubleValue":-0.5},)"
           R"("e":{"timestampValue":"2024-01-01T00:00:00.123456789Z"},"f":{"stringValue":""},)"
           R"("g":{"bytesValue":"_-8="},"h":{"referenceValue":"x"},)"
           R"("i":{"geoPointValue":{"latitude":1,"longitude":-2.5}},)"
           R"("j":{"arrayValue":{"values":[{"integerValue":3},{"nullValue":0}]}},)"
           R"("k":{"arrayValue":{}},"l":{"mapValue":{}}})"),
       200},
      {"a Value is still a Value inside data", kCommit,
       commit_update(
           R"({"m":{"mapValue":{"fields":{"k":{"stringValue":"x","integerValue":"1"}}}}})"),
       400},
  });
}

TEST_CASE("null reads as unset in proto3 JSON, so it is refused outside nullValue") {
  check_rows({
      {"precondition exists null (would make an update an upsert)", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice + R"(},"currentDocument":{"exists":null}}]})",
       400},
      {"currentDocument null", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice + R"(},"currentDocument":null}]})", 400},
      {"delete null", kCommit, R"({"writes":[{"delete":null}]})", 400},
      {"allDescendants null", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","allDescendants":null}]}})", 400},
      {"writes null", kCommit, R"({"writes":null})", 400},
      {"null array element", kDocs + ":batchGet", R"({"documents":[null]})", 400},
  });
}

TEST_CASE("oneofs: at most one member, exactly one where required") {
  check_rows({
      {"write with update and delete", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice + "},\"delete\":" + kAlice + "}]}", 400},
      {"write with delete and transform", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"transform\":{\"document\":" + kAlice + "}}]}",
       400},
      {"write with no operation", kCommit, R"({"writes":[{"currentDocument":{"exists":true}}]})",
       400},
      {"empty write", kCommit, R"({"writes":[{}]})", 400},
      {"precondition exists and updateTime", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(},"currentDocument":{"exists":true,"updateTime":"2024-01-01T00:00:00Z"}}]})",
       400},
      {"Value with two kinds", kCommit,
       commit_update(R"({"a":{"stringValue":"x","integerValue":"1"}})"), 400},
      {"empty Value", kCommit, commit_update(R"({"a":{}})"), 400},
      {"transaction and newTransaction", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}]},"transaction":"dHg=",)"
       R"("newTransaction":{}})",
       400},
      {"readOnly and readWrite", kDocs + ":beginTransaction",
       R"({"options":{"readOnly":{},"readWrite":{}}})", 400},
      {"empty filter", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}],"where":{}}})", 400},
      {"field transform without a transform", kCommit,
       "{\"writes\":[{\"transform\":{\"document\":" + kAlice +
           R"(,"fieldTransforms":[{"fieldPath":"n"}]}}]})",
       400},
      {"aggregation without operator", kDocs + ":runAggregationQuery",
       R"({"structuredAggregationQuery":{"structuredQuery":{"from":[{"collectionId":"a"}]},)"
       R"("aggregations":[{"alias":"x"}]}})",
       400},
  });
}

TEST_CASE("values must have their field's JSON type") {
  check_rows({
      {"exists as a string", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(},"currentDocument":{"exists":"true"}}]})",
       400},
      {"allDescendants as a number", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","allDescendants":1}]}})", 400},
      {"documents not an array", kDocs + ":batchGet", "{\"documents\":" + kAlice + "}", 400},
      {"from not an array", kRunQuery, R"({"structuredQuery":{"from":{"collectionId":"a"}}})", 400},
      {"name not a string", kCommit, R"({"writes":[{"update":{"name":["a"]}}]})", 400},
      {"integerValue with a fraction", kCommit, commit_update(R"({"a":{"integerValue":"1.5"}})"),
       400},
      {"integerValue out of int64", kCommit,
       commit_update(R"({"a":{"integerValue":"9223372036854775808"}})"), 400},
      {"limit out of int32", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}],"limit":2147483648}})", 400},
      {"enum in lower case", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}],"orderBy":[{"direction":"desc"}]}})",
       400},
      {"timestamp without zone", kCommit,
       commit_update(R"({"a":{"timestampValue":"2024-01-01T00:00:00"}})"), 400},
      {"bytes not base64", kCommit, commit_update(R"({"a":{"bytesValue":"a b"}})"), 400},
      {"labels with a non-string", kDocs + ":batchWrite", R"({"writes":[],"labels":{"a":1}})", 400},
      {"doubleValue as a numeric string", kCommit, commit_update(R"({"a":{"doubleValue":"1.5"}})"),
       400},
  });
}

TEST_CASE("document names in bodies must lie in the URL's database") {
  const auto batch_get = [](const std::string& name) {
    return "{\"documents\":[\"" + name + "\"]}";
  };
  const std::string get = kDocs + ":batchGet";
  check_rows({
      {"other project", get, batch_get("projects/q/databases/(default)/documents/users/alice"),
       400},
      {"other served database", get,
       batch_get("projects/p/databases/other-db/documents/users/alice"), 400},
      {"a collection", get, batch_get(kDb + "/documents/users"), 400},
      {"dot-dot", get, batch_get(kDb + "/documents/users/../admin"), 400},
      {"relative", get, batch_get("users/alice"), 400},
      {"write to another database", kCommit,
       R"({"writes":[{"delete":"projects/p/databases/other-db/documents/users/alice"}]})", 400},
      {"update to another project", kCommit,
       R"({"writes":[{"update":{"name":"projects/q/databases/(default)/documents/u/a"}}]})", 400},
      {"transform in another database", kCommit,
       R"({"writes":[{"transform":{"document":"projects/p/databases/other-db/documents/u/a",)"
       R"("fieldTransforms":[{"fieldPath":"n","setToServerValue":1}]}}]})",
       400},
      {"update without a name", kCommit, R"({"writes":[{"update":{"fields":{}}}]})", 400},
      {"update with an empty name", kCommit, R"({"writes":[{"update":{"name":""}}]})", 400},
      {"updateMask on a delete", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + R"(,"updateMask":{"fieldPaths":["a"]}}]})", 400},
      {"epoch updateTime precondition", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(},"currentDocument":{"updateTime":"1970-01-01T00:00:00Z"}}]})",
       400},
  });
  // The other database is served, so from its own URL the same name is fine.
  CHECK(status_of(classify_request("POST", "/v1/projects/p/databases/other-db/documents:batchGet",
                                   batch_get("projects/p/databases/other-db/documents/u/a"))) ==
        200);
}

TEST_CASE("queries must say which collections they read") {
  check_rows({
      {"no structuredQuery", kRunQuery, "{}", 400},
      {"no from", kRunQuery, R"({"structuredQuery":{}})", 400},
      {"empty from", kRunQuery, R"({"structuredQuery":{"from":[]}})", 400},
      {"collectionId with '/'", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"users/alice/posts"}]}})", 400},
      {"reserved collectionId", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"__x__"}]}})", 400},
      {"aggregation without structuredQuery", kDocs + ":runAggregationQuery",
       R"({"structuredAggregationQuery":{"aggregations":[]}})", 400},
      {"no structuredAggregationQuery", kDocs + ":runAggregationQuery", "{}", 400},
      {"partition without structuredQuery", kDocs + ":partitionQuery", R"({"partitionCount":2})",
       400},
  });
}

TEST_CASE("createDocument and patch bodies may not retarget the document") {
  const std::string alice = kDocs + "/users/alice";
  CHECK(status_of(classify_request("POST", kDocs + "/users",
                                   "{\"name\":\"" + kDb + "/documents/admin/root\"}")) == 400);
  CHECK(status_of(classify_request("POST", kDocs + "/users", "{\"name\":" + kAlice + "}")) == 400);
  CHECK(status_of(classify_request("PATCH", alice,
                                   "{\"name\":\"" + kDb + "/documents/admin/root\"}")) == 400);
  CHECK(status_of(classify_request(
            "PATCH", alice, R"({"name":"projects/p/databases/other-db/documents/users/alice"})")) ==
        400);
  CHECK(status_of(classify_request("PATCH", alice, R"({"name":""})")) == 200);
  CHECK(status_of(classify_request("PATCH", alice, R"({"fields":{},"unknown":1})")) == 400);
}

TEST_CASE("error messages say what was refused without echoing huge input") {
  const std::string huge(100000, 'x');
  const auto result = classify_request("POST", kRunQuery, "{\"" + huge + "\":1}");
  const auto& error = std::get<ApiError>(result);
  CHECK(error.http_status == 400);
  CHECK(error.status == "INVALID_ARGUMENT");
  CHECK(error.message.find("unknown field") != std::string::npos);
  CHECK(error.message.size() < 400);

  const auto nested = classify_request("POST", kCommit,
                                       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
                                           R"(},"currentDocument":{"exists":"yes"}}]})");
  CHECK(std::get<ApiError>(nested).message.find("writes[0].currentDocument.exists") !=
        std::string::npos);

  const auto second_write =
      classify_request("POST", kCommit,
                       "{\"writes\":[{\"delete\":" + kAlice +
                           R"(},{"delete":"projects/q/databases/d/documents/a/b"}]})");
  const auto& located = std::get<ApiError>(second_write);
  CHECK(located.message.find("writes[1]") != std::string::npos);
  CHECK(located.message.find("projects/q/databases/d/documents/a/b") != std::string::npos);
}

TEST_CASE("requirements are de-duplicated in order of first appearance, also past 16") {
  std::string documents;
  std::string expected = "ok batchGet:";
  for (int round = 0; round < 3; ++round) {
    for (int c = 0; c < 40; ++c) {
      if (!documents.empty()) documents += ",";
      documents +=
          "\"" + kDb + "/documents/c" + std::to_string(c) + "/d" + std::to_string(round) + "\"";
      if (round == 0) expected += " [get c" + std::to_string(c) + "]";
    }
  }
  CHECK(outcome(classify_request("POST", kDocs + ":batchGet",
                                 "{\"documents\":[" + documents + "]}")) == expected);
}
