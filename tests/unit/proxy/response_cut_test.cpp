// cut_write_response: what a write returns is a read (SPEC §4). The cut keeps
// an allowlist of fields; everything else, document data first, is dropped,
// and a body that cannot be read as the expected JSON is a failure (502).
#include "firewarden/proxy/response_cut.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using namespace firewarden::proxy;
using json = nlohmann::json;

namespace {

constexpr std::size_t kLimit = 1 << 20;

// The cut body as JSON; fails the test when the cut failed.
json cut(WriteResponse shape, const std::string& body, std::size_t limit = kLimit) {
  const CutResult result = cut_write_response(shape, body, limit);
  if (const auto* failure = std::get_if<CutFailure>(&result)) FAIL(failure->reason);
  const std::string& text = std::get<std::string>(result);
  INFO(text);
  REQUIRE(json::accept(text));
  return json::parse(text);
}

std::string failure(WriteResponse shape, const std::string& body, std::size_t limit = kLimit) {
  const CutResult result = cut_write_response(shape, body, limit);
  if (const auto* text = std::get_if<std::string>(&result)) FAIL("cut, not refused: " << *text);
  return std::get<CutFailure>(result).reason;
}

// A PATCH response as the emulator writes it (pretty-printed).
const std::string kDocument = R"({
  "name": "projects/p/databases/(default)/documents/orders/o1",
  "fields": {
    "secret": {"stringValue": "s3cr3t"},
    "total": {"integerValue": "42"}
  },
  "createTime": "2026-12-06T02:58:12.123456Z",
  "updateTime": "2026-12-06T02:59:00.000001Z"
})";

}  // namespace

TEST_CASE("response cut: the method decides the response's shape") {
  CHECK(write_response_of("patch") == WriteResponse::document);
  CHECK(write_response_of("createDocument") == WriteResponse::document);
  CHECK(write_response_of("commit") == WriteResponse::write_results);
  CHECK(write_response_of("batchWrite") == WriteResponse::write_results);
  for (const char* method : {"get", "delete", "runQuery", "batchGet", "Commit", "", "patch "}) {
    CAPTURE(method);
    CHECK(write_response_of(method) == WriteResponse::other);
  }
}

TEST_CASE("response cut: a Document keeps name, createTime and updateTime only") {
  const json out = cut(WriteResponse::document, kDocument);
  CHECK(out == json{{"name", "projects/p/databases/(default)/documents/orders/o1"},
                    {"createTime", "2026-12-06T02:58:12.123456Z"},
                    {"updateTime", "2026-12-06T02:59:00.000001Z"}});
  CHECK(out.dump().find("s3cr3t") == std::string::npos);
}

TEST_CASE("response cut: extra fields of a Document are dropped, at any level") {
  const json out = cut(WriteResponse::document,
                       R"({"name":"n","fields":{"a":{"mapValue":{"fields":{"name":{"stringValue":
                           "inner"}}}}},"futureField":{"name":"x"},"readTime":"t","x":1,
                           "updateTime":"u"})");
  CHECK(out == json{{"name", "n"}, {"updateTime", "u"}});
}

TEST_CASE("response cut: a Document without the kept fields (a partial response) is empty") {
  CHECK(cut(WriteResponse::document, R"({"fields":{"a":{"nullValue":null}}})") == json::object());
  CHECK(cut(WriteResponse::document, "{}") == json::object());
}

TEST_CASE("response cut: a Commit keeps commitTime and each write's updateTime") {
  const std::string body = R"({
    "writeResults": [
      {"updateTime": "2026-12-06T03:00:00Z",
       "transformResults": [{"integerValue": "1337"}, {"timestampValue": "2026-12-06T03:00:00Z"}]},
      {"updateTime": "2026-12-06T03:00:00Z"},
      {}
    ],
    "commitTime": "2026-12-06T03:00:00Z"
  })";
  const json out = cut(WriteResponse::write_results, body);
  CHECK(out == json::parse(R"({"writeResults":[{"updateTime":"2026-12-06T03:00:00Z"},
                                                {"updateTime":"2026-12-06T03:00:00Z"},{}],
                               "commitTime":"2026-12-06T03:00:00Z"})"));
  CHECK(out.dump().find("1337") == std::string::npos);
}

TEST_CASE("response cut: transformResults nested anywhere, and unknown fields, are dropped") {
  const std::string body = R"({
    "writeResults": [{
      "updateTime": "t",
      "transformResults": [{"mapValue": {"fields": {"transformResults": {"integerValue": "7"}}}}],
      "extra": {"transformResults": [{"integerValue": "8"}]}
    }],
    "transformResults": [{"integerValue": "9"}],
    "unknownTopLevel": {"writeResults": [{"transformResults": [{"integerValue": "10"}]}]},
    "commitTime": "c"
  })";
  const json out = cut(WriteResponse::write_results, body);
  CHECK(out ==
        json{{"writeResults", json::array({json{{"updateTime", "t"}}})}, {"commitTime", "c"}});
  const std::string text = out.dump();
  CHECK(text.find("transformResults") == std::string::npos);
  CHECK(text.find("integerValue") == std::string::npos);
}

TEST_CASE("response cut: a BatchWrite keeps each status' code and message, not its details") {
  const std::string body = R"({
    "writeResults": [{"updateTime": "t", "transformResults": [{"integerValue": "5"}]}, {}],
    "status": [{}, {"code": 9, "message": "precondition failed",
                    "details": [{"@type": "x", "value": {"stringValue": "data"}}]}]
  })";
  const json out = cut(WriteResponse::write_results, body);
  CHECK(out == json::parse(R"({"writeResults":[{"updateTime":"t"},{}],
                               "status":[{},{"code":9,"message":"precondition failed"}]})"));
}

TEST_CASE("response cut: any other method's response is withheld whole") {
  CHECK(cut(WriteResponse::other, kDocument) == json::object());
  CHECK(cut(WriteResponse::other, "not even JSON") == json::object());
}

TEST_CASE("response cut: bodies that are not the JSON expected are refused") {
  struct Case {
    const char* what;
    WriteResponse shape;
    std::string body;
    const char* reason;
  };
  const std::vector<Case> cases{
      {"empty body", WriteResponse::document, "", "not JSON"},
      {"truncated", WriteResponse::document, kDocument.substr(0, kDocument.size() / 2), "not JSON"},
      {"trailing garbage", WriteResponse::write_results, R"({"commitTime":"c"} x)", "not JSON"},
      {"two documents", WriteResponse::document, R"({"name":"a"}{"name":"b"})", "not JSON"},
      {"invalid UTF-8", WriteResponse::document, "{\"name\":\"\xff\"}", "not JSON"},
      {"HTML error page", WriteResponse::write_results, "<html>oops</html>", "not JSON"},
      {"an array", WriteResponse::document, R"([{"name":"n"}])", "not a JSON object"},
      {"a string", WriteResponse::write_results, R"("writeResults")", "not a JSON object"},
      {"null", WriteResponse::document, "null", "not a JSON object"},
      {"name not a string", WriteResponse::document, R"({"name":{"fields":{}}})", "not a string"},
      {"updateTime a number", WriteResponse::document, R"({"updateTime":1})", "not a string"},
      {"writeResults an object", WriteResponse::write_results,
       R"({"writeResults":{"transformResults":[]}})", "not an array"},
      {"a write result not an object", WriteResponse::write_results, R"({"writeResults":["t"]})",
       "not an object"},
      {"a write's updateTime an object", WriteResponse::write_results,
       R"({"writeResults":[{"updateTime":{"integerValue":"1"}}]})", "not a string"},
      {"commitTime an array", WriteResponse::write_results, R"({"commitTime":["c"]})",
       "not a string"},
      {"status an object", WriteResponse::write_results, R"({"status":{"code":1}})",
       "not an array"},
      {"a status code a string", WriteResponse::write_results, R"({"status":[{"code":"9"}]})",
       "not an integer"},
      {"a status message a number", WriteResponse::write_results, R"({"status":[{"message":7}]})",
       "not a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK_THAT(failure(c.shape, c.body), Catch::Contains(c.reason));
  }
}

TEST_CASE("response cut: a body over the limit is refused, one at the limit is cut") {
  std::string body = R"({"name":"n","fields":{"blob":{"stringValue":")";
  body += std::string(1000, 'x');
  body += R"("}}})";
  CHECK(cut(WriteResponse::document, body, body.size()) == json{{"name", "n"}});
  CHECK_THAT(failure(WriteResponse::document, body, body.size() - 1),
             Catch::Contains("over " + std::to_string(body.size() - 1) + " bytes"));
  // The limit applies before anything else, whatever the shape.
  CHECK_THAT(failure(WriteResponse::other, body, 10), Catch::Contains("over 10 bytes"));
}

TEST_CASE("response cut: deep nesting inside dropped data is read without harm") {
  // A map value nested 100,000 deep: parsed iteratively, dropped whole.
  const std::size_t depth = 100000;
  std::string nested;
  for (std::size_t i = 0; i < depth; ++i) nested += R"({"m":)";
  nested += "1";
  for (std::size_t i = 0; i < depth; ++i) nested += "}";
  const std::string body = R"({"name":"n","fields":{"deep":)" + nested + "}}";
  CHECK(cut(WriteResponse::document, body, body.size()) == json{{"name", "n"}});
}
