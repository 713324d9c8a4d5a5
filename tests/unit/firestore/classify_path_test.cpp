// SPEC §5 path rules, one row per rule, through classify() and the path readers.
#include <catch2/catch.hpp>

#include "classify_support.hpp"
#include "firewarden/firestore/path.hpp"
#include "firewarden/firestore/resource_name.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

TEST_CASE("path segments that cannot be read unambiguously are refused") {
  check_statuses({
      {"encoded slash", "GET", kDocs + "/users/a%2Fb", 400},
      {"encoded slash, lower case", "GET", kDocs + "/users/a%2fb", 400},
      {"encoded slash in the database", "GET", "/v1/projects/p/databases/a%2Fb/documents/u/a", 400},
      {"empty segment", "GET", kDocs + "/users//alice", 400},
      {"trailing slash", "GET", kDocs + "/users/", 400},
      {"dot segment", "GET", kDocs + "/users/./alice", 400},
      {"dot-dot segment", "GET", kDocs + "/users/../admin/x", 400},
      {"encoded dot-dot", "GET", kDocs + "/users/%2E%2E/admin/x", 400},
      {"NUL", "GET", kDocs + "/users/a%00", 400},
      {"newline", "GET", kDocs + "/users/a%0A", 400},
      {"DEL", "GET", kDocs + "/users/a%7F", 400},
      {"C1 control", "GET", kDocs + "/users/a%C2%85", 400},
      {"invalid UTF-8", "GET", kDocs + "/users/a%FF", 400},
      {"overlong UTF-8", "GET", kDocs + "/users/a%C0%AF", 400},
      {"UTF-8 surrogate", "GET", kDocs + "/users/a%ED%A0%80", 400},
      {"truncated UTF-8", "GET", kDocs + "/users/a%E2%82", 400},
      {"malformed escape", "GET", kDocs + "/users/a%zz", 400},
      {"truncated escape", "GET", kDocs + "/users/a%2", 400},
      {"double encoding", "GET", kDocs + "/users/a%252Fb", 400},
      {"double-encoded dot-dot", "GET", kDocs + "/users/%252E%252E", 400},
      {"reserved ID __x__", "GET", kDocs + "/users/__x__", 400},
      {"reserved collection ID", "GET", kDocs + "/__users__/alice", 400},
      {"raw space", "GET", kDocs + "/users/a b", 400},
      {"raw '+'", "GET", kDocs + "/users/a+b", 400},
      {"raw ';' (path parameter)", "GET", kDocs + "/users/alice;v=1", 400},
      {"raw quote", "GET", kDocs + "/users/a\"b", 400},
      {"raw backslash", "GET", kDocs + "/users/a\\b", 400},
      {"raw non-ASCII", "GET", kDocs + "/users/\xC3\xA9", 400},
      {"fragment", "GET", kDocs + "/users/alice#x", 400},
      {"absolute-form target", "GET", "https://firestore.googleapis.com" + kDocs + "/users/a", 400},
      {"asterisk-form target", "GET", "*", 400},
      {"':' inside a middle segment", "GET", kDocs + "/users:x/alice", 400},
      {"two custom methods", "POST", kDocs + ":runQuery:commit", 400},
      {"custom method with non-letters", "POST", kDocs + ":run-query", 400},
      {"empty custom method", "POST", kDocs + ":", 400},
      {"percent-encoded custom method", "POST", kDocs + ":comm%69t", 400},
      {"decoded ':' ending a POST path", "POST", kDocs + "/users%3ArunQuery", 400},
      {"decoded ':' in the parent of a custom method (the raw ':' stays the last)", "POST",
       kDocs + "/users/a%3ArunQuery:listCollectionIds", 200},
      {"decoded ':' in a createDocument parent", "POST", kDocs + "/users/a%3Ab/posts", 200},
      {"encoded ':' before the custom method", "POST", kDocs + "%3Acommit", 501},
      {"percent-encoded fixed segment", "GET", "/v1/projects/p/databases/(default)/%64ocuments/u/a",
       501},
  });
}

TEST_CASE("IDs up to 1500 bytes are accepted, longer ones refused") {
  const std::string id1500(1500, 'a');
  const std::string id1501(1501, 'a');
  CHECK(outcome(classify_request("GET", kDocs + "/users/" + id1500)) == "ok get: [get users]");
  CHECK(status_of(classify_request("GET", kDocs + "/users/" + id1501)) == 400);
  CHECK(status_of(classify_request("GET", kDocs + "/" + id1501 + "/a")) == 400);
  // Bytes, not characters: 750 two-byte characters are 1500 bytes.
  std::string two_byte;
  for (int i = 0; i < 750; ++i) two_byte += "%C3%A9";
  CHECK(status_of(classify_request("GET", kDocs + "/users/" + two_byte)) == 200);
  CHECK(status_of(classify_request("GET", kDocs + "/users/" + two_byte + "a")) == 400);
}

TEST_CASE("IDs that only look reserved are accepted") {
  for (const std::string id : {"__", "___", "__x", "x__", "_x_", "a__b__", "%2A", "(x)", "a.b",
                               "...", "%C3%A9t%C3%A9", "%E2%9C%93", "a%3Ab"}) {
    INFO(id);
    CHECK(status_of(classify_request("GET", kDocs + "/users/" + id)) == 200);
  }
}

TEST_CASE("(default) and %28default%29 are the same database") {
  const auto encoded =
      classify_request("GET", "/v1/projects/p/databases/%28default%29/documents/u/a");
  const auto& model = std::get<RequestModel>(encoded);
  CHECK(model.database == "(default)");
  CHECK(model.upstream_target == kDocs + "/u/a");
  CHECK(status_of(classify_request("GET", "/v1/projects/p/databases/%28default)/documents/u/a")) ==
        200);
}

TEST_CASE("the upstream path is canonical") {
  const auto result = classify_request("GET", kDocs + "/users/%61l%69ce%20%2A/posts/%E2%9C%93");
  CHECK(std::get<RequestModel>(result).upstream_target ==
        kDocs + "/users/alice%20%2A/posts/%E2%9C%93");
  const auto colon = classify_request("GET", kDocs + "/users/user%3A1");
  CHECK(std::get<RequestModel>(colon).upstream_target == kDocs + "/users/user%3A1");
  CHECK(std::get<RequestModel>(colon).requirements.at(0).collection.to_string() == "users");
}

TEST_CASE("other projects and databases are 403 PERMISSION_DENIED") {
  check_statuses({
      {"other project", "GET", "/v1/projects/q/databases/(default)/documents/users/alice", 403},
      {"other database", "GET", "/v1/projects/p/databases/db3/documents/users/alice", 403},
      {"other project, custom method", "POST",
       "/v1/projects/q/databases/(default)/documents:commit", 403},
      {"project differing in case", "GET", "/v1/projects/P/databases/(default)/documents/u/a", 403},
  });
  CHECK(status_of(classify_request("GET", "/v1/projects/p/databases/other-db/documents/u/a")) ==
        200);
}

TEST_CASE("a method on the wrong kind of path is refused") {
  check_statuses({
      {"GET the documents root", "GET", kDocs, 400},
      {"POST on a document path", "POST", kDocs + "/users/alice", 400},
      {"POST on the root", "POST", kDocs, 400},
      {"PATCH a collection", "PATCH", kDocs + "/users", 400},
      {"DELETE a collection", "DELETE", kDocs + "/users", 400},
      {"GET a custom method", "GET", kDocs + ":commit", 400},
      {"DELETE a custom method", "DELETE", kDocs + ":batchGet", 400},
      {"commit below a document", "POST", kDocs + "/users/alice:commit", 400},
      {"batchGet below a document", "POST", kDocs + "/users/alice:batchGet", 400},
      {"runQuery on a collection", "POST", kDocs + "/users:runQuery", 400},
      {"listCollectionIds on a collection", "POST", kDocs + "/users:listCollectionIds", 400},
  });
}

TEST_CASE("body document names must lie in the URL's database") {
  const DatabaseRef db{"p", "(default)"};
  struct NameRow {
    const char* rule;
    std::string name;
    bool accepted;
  };
  const std::vector<NameRow> rows = {
      {"a document", kDb + "/documents/users/alice", true},
      {"a nested document", kDb + "/documents/users/alice/posts/p1", true},
      {"other project", "projects/q/databases/(default)/documents/users/alice", false},
      {"other database", "projects/p/databases/other-db/documents/users/alice", false},
      {"encoded database (bodies are not decoded)",
       "projects/p/databases/%28default%29/documents/users/alice", false},
      {"a collection", kDb + "/documents/users", false},
      {"the root", kDb + "/documents", false},
      {"no documents segment", kDb + "/users/alice", false},
      {"relative name", "users/alice", false},
      {"leading slash", "/" + kDb + "/documents/users/alice", false},
      {"trailing slash", kDb + "/documents/users/alice/", false},
      {"empty segment", kDb + "/documents/users//alice/x", false},
      {"dot-dot", kDb + "/documents/users/../admin", false},
      {"reserved ID", kDb + "/documents/users/__alice__", false},
      {"control character", kDb + "/documents/users/a\tb", false},
      {"too long ID", kDb + "/documents/users/" + std::string(1501, 'x'), false},
      {"the root with a slash", kDb + "/documents/", false},
      {"empty first ID", kDb + "/documents//alice", false},
      {"the database", kDb, false},
      {"the database with a slash", kDb + "/", false},
      {"empty", "", false},
      {"only projects", "projects", false},
      {"only slashes", "////", false},
      {"five empty segments", "/////", false},
      {"documents spelled differently", kDb + "/Documents/users/alice", false},
  };
  for (const NameRow& row : rows) {
    INFO(row.rule);
    const auto result = parse_document_name(row.name, db);
    CHECK(result.ok() == row.accepted);
    if (!row.accepted) CHECK(result.error().http_status == 400);
  }
  CHECK(parse_document_name(kDb + "/documents/users/alice/posts/p1", db).value() ==
        std::vector<std::string>{"users", "alice", "posts", "p1"});
}

TEST_CASE("decode_path_segment decodes exactly once") {
  CHECK(decode_path_segment("a%20b").value() == "a b");
  CHECK(decode_path_segment("%28default%29").value() == "(default)");
  CHECK(decode_path_segment("%25").value() == "%");
  CHECK(decode_path_segment("%2541").ok() == false);  // would decode again to "A"
  CHECK(encode_path_segment("a b/%:") == "a%20b%2F%25%3A");
  CHECK(encode_path_segment("(default)") == "(default)");
}
