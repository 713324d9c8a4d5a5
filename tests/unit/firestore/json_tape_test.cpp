// The strict JSON tape parser (json_tape.hpp) on its own, and the tricks an
// attacker would try through the classifier. Every refusal asserts the status
// and what the message says.
#include "firewarden/firestore/json_tape.hpp"

#include <bit>
#include <catch2/catch.hpp>
#include <string>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

std::string refusal_of(std::string_view body) {
  const Checked<JsonTape> tape = parse_json_tape(body);
  return tape.ok() ? std::string("accepted") : tape.error().message;
}

bool accepted(std::string_view body) { return parse_json_tape(body).ok(); }

const std::string kCommit = kDocs + ":commit";
const std::string kRunQuery = kDocs + ":runQuery";
const std::string kAlice = "\"" + kDb + "/documents/users/alice\"";

}  // namespace

TEST_CASE("the tape holds every value and key in document order") {
  const std::string body = R"({"a":[1,-2,3.5,"x\n",true,false,null],"b":{}})";
  Checked<JsonTape> parsed = parse_json_tape(body);
  REQUIRE(parsed.ok());
  const JsonTape& tape = parsed.value();
  REQUIRE(tape.size() == 12);
  CHECK(tape[0].kind == JsonKind::object);
  CHECK(tape[0].end == 12);
  CHECK(tape[1].kind == JsonKind::key);
  CHECK(tape[1].text == "a");
  CHECK(tape[2].kind == JsonKind::array);
  CHECK(tape[2].end == 10);
  CHECK((tape[3].number == NumberKind::unsigned_integer && tape[3].unsigned_value == 1));
  CHECK((tape[4].number == NumberKind::signed_integer && tape[4].signed_value == -2));
  CHECK(tape[5].number == NumberKind::floating);
  CHECK(tape[5].text == "3.5");
  CHECK(tape[6].text == "x\n");
  CHECK((tape[7].kind == JsonKind::boolean && tape[7].truth));
  CHECK((tape[8].kind == JsonKind::boolean && !tape[8].truth));
  CHECK(tape[9].kind == JsonKind::null);
  CHECK(tape[10].text == "b");
  CHECK((tape[11].kind == JsonKind::object && tape[11].end == 12));
  CHECK(tape.skip(2) == 10);
}

TEST_CASE("strings without escapes point into the body, escaped ones are unescaped") {
  const std::string body = R"({"plain":"\u00e9\ud83d\ude00\/\"\\\b\f\r\t"})";
  Checked<JsonTape> parsed = parse_json_tape(body);
  REQUIRE(parsed.ok());
  const JsonTape tape = std::move(parsed).value();  // moving keeps the views valid
  CHECK(tape[1].text.data() == body.data() + 2);
  CHECK(tape[2].text == "\xC3\xA9\xF0\x9F\x98\x80/\"\\\b\f\r\t");
}

TEST_CASE("integers keep their 64-bit value, the rest read as doubles") {
  const auto first = [](const std::string& number) {
    Checked<JsonTape> parsed = parse_json_tape("{\"n\":" + number + "}");
    REQUIRE(parsed.ok());
    return parsed.value()[2];
  };
  CHECK(first("18446744073709551615").number == NumberKind::unsigned_integer);
  CHECK(first("18446744073709551616").number == NumberKind::floating);
  CHECK(first("-9223372036854775808").signed_value == INT64_MIN);
  CHECK(first("-9223372036854775809").number == NumberKind::floating);
  CHECK(first("-0").number == NumberKind::signed_integer);
  CHECK(first("0e0").number == NumberKind::floating);
  CHECK(first("1e-400").number == NumberKind::floating);  // underflow reads as 0
}

TEST_CASE("the grammar of RFC 8259 and nothing else") {
  struct Row {
    std::string body;
    const char* says;
  };
  const std::vector<Row> rows = {
      {"", "request body is not valid JSON (byte 1): unexpected end of input"},
      {"{", "request body is not valid JSON"},
      {"{\"a\"", "request body is not valid JSON"},
      {"{\"a\":", "request body is not valid JSON"},
      {"{\"a\":1", "request body is not valid JSON"},
      {"{\"a\":1,}", "request body is not valid JSON"},
      {"{,}", "request body is not valid JSON"},
      {"{\"a\" 1}", "request body is not valid JSON"},
      {"{\"a\":1 \"b\":2}", "request body is not valid JSON"},
      {"{a:1}", "request body is not valid JSON"},
      {"{'a':1}", "request body is not valid JSON"},
      {"{\"a\":[1,]}", "request body is not valid JSON"},
      {"{\"a\":[,1]}", "request body is not valid JSON"},
      {"{\"a\":01}", "request body is not valid JSON"},
      {"{\"a\":-}", "request body is not valid JSON"},
      {"{\"a\":1.}", "request body is not valid JSON"},
      {"{\"a\":.5}", "request body is not valid JSON"},
      {"{\"a\":+1}", "request body is not valid JSON"},
      {"{\"a\":1e}", "request body is not valid JSON"},
      {"{\"a\":1e+}", "request body is not valid JSON"},
      {"{\"a\":0x10}", "request body is not valid JSON"},
      {"{\"a\":1e400}", "request body is not valid JSON"},
      {"{\"a\":-1e400}", "request body is not valid JSON"},
      {"{\"a\":1" + std::string(400, '0') + "}", "request body is not valid JSON"},
      {"{\"a\":tru}", "request body is not valid JSON"},
      {"{\"a\":True}", "request body is not valid JSON"},
      {"{\"a\":nul}", "request body is not valid JSON"},
      {"{\"a\":NaN}", "request body is not valid JSON"},
      {"{\"a\":\"\\x41\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\u12\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\u12G4\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\ud800\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\ud800\\n\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\ud800\\ud800\"}", "request body is not valid JSON"},
      {"{\"a\":\"\\udfff\"}", "request body is not valid JSON"},
      {"{\"\\ud800\":1}", "request body is not valid JSON"},
      {"{\"a\":\"\x01\"}", "request body is not valid JSON"},
      {"{\"a\":\"\t\"}", "request body is not valid JSON"},
      {"{\"a\":\"\n\"}", "request body is not valid JSON"},
      {"{\"a\":\"\xFF\"}", "request body is not valid JSON"},
      {"{\"a\":\"\xC3\"}", "request body is not valid JSON"},
      {"{\"a\":\"\xC0\x80\"}", "request body is not valid JSON"},
      {"{\"a\":\"\xED\xB0\x80\"}", "request body is not valid JSON"},
      {"{\"a\":\"\xF4\x90\x80\x80\"}", "request body is not valid JSON"},
      {"{\"\xE9\":1}", "request body is not valid JSON"},
      {"{\"a\":\"x}", "request body is not valid JSON"},
      {"{\"a\":\"x\\", "request body is not valid JSON"},
      {"{\"a\":1}\xC2\xA0", "request body is not valid JSON"},  // no-break space is not whitespace
      {"{\"a\":1}\f", "request body is not valid JSON"},
      {"\v{}", "request body is not valid JSON"},
      {"{}{}", "request body is not valid JSON"},
      {"{}]", "request body is not valid JSON"},
      {"{]", "request body is not valid JSON"},
      {"[}", "request body is not valid JSON"},
      {"{\"a\":[}", "request body is not valid JSON"},
      {"{/**/}", "request body is not valid JSON"},
      {std::string("{}\0", 3), "request body contains a NUL byte"},
      {std::string("{\"a\":\"\0\"}", 9), "request body contains a NUL byte"},
      {"\xEF\xBB\xBF{}", "request body starts with a byte order mark"},
      {"[]", "request body must be a JSON object"},
      {"\"{}\"", "request body must be a JSON object"},
      {"0", "request body must be a JSON object"},
      {"null", "request body must be a JSON object"},
  };
  for (const Row& row : rows) {
    INFO(row.body);
    CHECK_THAT(refusal_of(row.body), Catch::StartsWith(row.says));
  }
  CHECK(accepted(" \t\r\n{ \"a\" : [ 1 , { } , [ ] , \"\" ] } \n"));
  CHECK(accepted("{\"a\":\"\\u0000\"}"));  // an escaped NUL is JSON
  CHECK(accepted("{\"a\":\"\x7F\xF4\x8F\xBF\xBF\"}"));
  CHECK(accepted("{\"a\":1E+2,\"b\":-0.0e-0}"));
}

TEST_CASE("duplicate keys are refused after unescaping, small and large objects alike") {
  CHECK(refusal_of(R"({"a":1,"a":2})") == "request body: duplicate key \"a\"");
  CHECK(refusal_of(R"({"writes":1,"wr\u0069tes":2})") == "request body: duplicate key \"writes\"");
  CHECK(refusal_of(R"({"\/":1,"/":2})") == "request body: duplicate key \"/\"");
  CHECK(refusal_of("{\"\\u00e9\":1,\"\xC3\xA9\":2}") == "request body: duplicate key \"\xC3\xA9\"");
  CHECK(refusal_of(R"({"x":{"a":1},"y":{"a":1},"z":[{"a":1},{"a":1}]})") == "accepted");
  CHECK(refusal_of(R"({"x":{"a":1,"b":{"a":1},"a":2}})") == "request body: duplicate key \"a\"");
  // Objects and arrays (holding the same keys themselves) between a key and its duplicate.
  CHECK(refusal_of(R"({"a":[{"a":1},[]],"b":{"a":{"b":2}},"a":3})") ==
        "request body: duplicate key \"a\"");
  for (const std::string value : {"1", R"({"k0":[1,{"k1":2}]})", R"([{"k0":1},[]])"}) {
    for (const int keys : {31, 32, 33, 200}) {
      std::string body = "{";
      for (int i = 0; i < keys; ++i) body += "\"k" + std::to_string(i) + "\":" + value + ",";
      INFO(keys << " keys, each with value " << value);
      CHECK(refusal_of(body.substr(0, body.size() - 1) + "}") == "accepted");
      for (const int again : {0, keys / 2, keys - 1}) {
        INFO("k" << again << " again");
        CHECK(refusal_of(body + "\"k" + std::to_string(again) + "\":2}") ==
              "request body: duplicate key \"k" + std::to_string(again) + "\"");
      }
    }
  }
}

TEST_CASE("nesting stops at the depth limit") {
  const auto nested = [](std::size_t depth) {
    std::string body;
    for (std::size_t i = 1; i < depth; ++i) body += "{\"a\":";
    body += "{}";
    for (std::size_t i = 1; i < depth; ++i) body += "}";
    return body;
  };
  CHECK(accepted(nested(kMaxJsonDepth)));
  CHECK(refusal_of(nested(kMaxJsonDepth + 1)) ==
        "request body: JSON nested deeper than 100 levels");
  CHECK(refusal_of("{\"a\":" + std::string(100000, '[')) ==
        "request body: JSON nested deeper than 100 levels");
}

TEST_CASE("tricks against the body reader are refused through the classifier") {
  struct Row {
    const char* trick;
    std::string target;
    std::string body;
    const char* says;  // what the 400's message starts with
  };
  const std::vector<Row> rows = {
      {"escaped duplicate of a write's operation", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"d\\u0065lete\":\"" + kDb +
           "/documents/admin/root\"}]}",
       "request body: duplicate key \"delete\""},
      {"snake and camel of a precondition", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice +
           R"(,"current_document":{"exists":true},"currentDocument":{"exists":false}}]})",
       "request body field writes[0]: field currentDocument given in both spellings"},
      {"escaped snake_case alias next to camel", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}]},"structured\u005Fquery":{}})",
       "request body: field structuredQuery given in both spellings"},
      {"two operations in one write", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"update\":{\"name\":" + kAlice + "}}]}",
       "request body field writes[0]: fields delete and update exclude each other"},
      {"null precondition (would read as unset)", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"currentDocument\":null}]}",
       "request body field writes[0].currentDocument: null is not accepted"},
      {"exists as a string", kCommit,
       "{\"writes\":[{\"delete\":" + kAlice + ",\"currentDocument\":{\"exists\":\"false\"}}]}",
       "request body field writes[0].currentDocument.exists: must be true or false"},
      {"allDescendants as a number", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a","allDescendants":1}]}})",
       "request body field structuredQuery.from[0].allDescendants: must be true or false"},
      {"writes as an object", kCommit, "{\"writes\":{\"0\":{\"delete\":" + kAlice + "}}}",
       "request body field writes: must be an array"},
      {"from as a string", kRunQuery, R"({"structuredQuery":{"from":"admin"}})",
       "request body field structuredQuery.from: must be an array"},
      {"document name as an array", kCommit, "{\"writes\":[{\"delete\":[" + kAlice + "]}]}",
       "request body field writes[0].delete: must be a string"},
      {"limit as a float", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}],"limit":1.0}})",
       "request body field structuredQuery.limit: must be a 32-bit integer"},
      {"limit beyond int32", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a"}],"limit":2147483648}})",
       "request body field structuredQuery.limit: must be a 32-bit integer"},
      {"integerValue beyond int64", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice +
           R"(,"fields":{"n":{"integerValue":9223372036854775808}}}}]})",
       "request body field writes[0].update.fields[\"n\"].integerValue: must be a 64-bit integer"},
      {"enum as -0", kCommit,
       "{\"writes\":[{\"transform\":{\"document\":" + kAlice +
           R"(,"fieldTransforms":[{"fieldPath":"a","setToServerValue":-0}]}}]})",
       "request body field writes[0].transform.fieldTransforms[0].setToServerValue: must be an "
       "enum"},
      {"nullValue as 0.0", kCommit,
       "{\"writes\":[{\"update\":{\"name\":" + kAlice + R"(,"fields":{"n":{"nullValue":0.0}}}}]})",
       "request body field writes[0].update.fields[\"n\"].nullValue: must be null"},
      {"unknown field hidden behind an escape", kCommit,
       "{\"writes\":[],\"\\u0064atabase\":\"projects/p/databases/other\"}",
       "request body: unknown field \"database\" in CommitRequest"},
      {"invalid UTF-8 in a document name", kCommit,
       "{\"writes\":[{\"delete\":\"" + kDb + "/documents/users/\xC0\xAF\"}]}",
       "request body is not valid JSON"},
      {"lone surrogate in a collection ID", kRunQuery,
       R"({"structuredQuery":{"from":[{"collectionId":"a\udc00"}]}})",
       "request body is not valid JSON"},
  };
  for (const Row& row : rows) {
    INFO(row.trick << ": " << row.body);
    const ClassifyResult result = classify_request("POST", row.target, row.body);
    INFO(outcome(result));
    REQUIRE(status_of(result) == 400);
    CHECK_THAT(std::get<ApiError>(result).message, Catch::StartsWith(row.says));
  }
}

TEST_CASE("escaped names are read unescaped for authorization") {
  // The policy must see the collection the server will write to.
  CHECK(outcome(classify_request(
            "POST", kCommit,
            "{\"writes\":[{\"delete\":\"" + kDb + "/documents/\\u0061dmin/root\"}]}")) ==
        "ok commit: [delete admin]");
  CHECK(
      outcome(classify_request(
          "POST", kRunQuery, R"({"structuredQuery":{"from":[{"collectionId":"p\u006fsts"}]}})")) ==
      "ok runQuery: [query posts]");
  const ClassifyResult escaped_slash = classify_request(
      "POST", kCommit, "{\"writes\":[{\"delete\":\"" + kDb + "/documents/users\\/alice\"}]}");
  CHECK(outcome(escaped_slash) == "ok commit: [delete users]");
}

TEST_CASE("many escaped strings share one buffer without overlapping") {
  std::string body = "{";
  for (int i = 0; i < 200; ++i) {
    if (i > 0) body += ",";
    body += "\"\\u0041" + std::to_string(i) + "\":[\"x\\ty" + std::to_string(i) + "\",\"plain\"]";
  }
  body += "}";
  Checked<JsonTape> parsed = parse_json_tape(body);
  REQUIRE(parsed.ok());
  const JsonTape& tape = parsed.value();
  std::size_t index = 1;
  for (int i = 0; i < 200; ++i) {
    INFO(i);
    REQUIRE(tape[index].kind == JsonKind::key);
    CHECK(tape[index].text == "A" + std::to_string(i));
    CHECK(tape[index + 2].text == "x\ty" + std::to_string(i));
    CHECK(tape[index + 3].text == "plain");
    index = tape.skip(index + 1);
  }
  CHECK(index == tape.size());
}

TEST_CASE("the 8-byte string scan stops at every special byte, at every offset") {
  // Each byte value at each offset of a 24-byte string: accepted exactly when
  // it is printable ASCII other than '"' and '\'; and then read back whole.
  for (int value = 0; value < 256; ++value) {
    for (std::size_t offset = 0; offset < 24; ++offset) {
      std::string text(24, 'a');
      text[offset] = static_cast<char>(value);
      if (value == 0) continue;  // NUL: refused before parsing (own test)
      const std::string body = "{\"k\":\"" + text + "\"}";
      const bool plain = value >= 0x20 && value < 0x80 && value != '"' && value != '\\';
      Checked<JsonTape> parsed = parse_json_tape(body);
      INFO("byte " << value << " at " << offset);
      REQUIRE(parsed.ok() == plain);
      if (plain) CHECK(parsed.value()[2].text == text);
    }
  }
  // A control character after a valid multi-byte character, in one 8-byte word.
  CHECK_FALSE(parse_json_tape("{\"k\":\"ab\xC3\xA9\x1F"
                              "cdefgh\"}")
                  .ok());
  CHECK(parse_json_tape("{\"k\":\"ab\xC3\xA9\x7F"
                        "cdefgh\"}")
            .ok());
}

TEST_CASE("a refused string byte is reported where it is, at every offset") {
  // 40 bytes: two SSE2 blocks and a tail, five SWAR words. A scan that stopped
  // late would report a later byte (or accept).
  for (const char refused : {'\x01', '\x1F', '\xFF', '\x80'}) {
    for (std::size_t offset = 0; offset < 40; ++offset) {
      std::string text(40, 'a');
      text[offset] = refused;
      const std::string body = "{\"k\":\"" + text + "\"}";
      const std::string where = "request body is not valid JSON (byte " +
                                std::to_string(7 + offset) + "): ";  // {"k":" is 6 bytes
      const std::string what = static_cast<unsigned char>(refused) < 0x20
                                   ? "control character in a string (must be escaped)"
                                   : "invalid UTF-8 in a string";
      INFO("byte " << static_cast<int>(static_cast<unsigned char>(refused)) << " at " << offset);
      CHECK(refusal_of(body) == where + what);
    }
  }
}

TEST_CASE("the string scan is the one this build was made for") {
  // tests/portable_scan.cmake builds these tests with FIREWARDEN_PORTABLE_SCAN,
  // so x86-64 runs the scan that arm64 and other targets ship.
#if defined(FIREWARDEN_PORTABLE_SCAN)
  CHECK(json_string_scan() == (std::endian::native == std::endian::little ? "swar" : "bytewise"));
#elif defined(__SSE2__)
  CHECK(json_string_scan() == "sse2");
#else
  CHECK(json_string_scan() != "sse2");
#endif
}
