// SPEC §5 query parameter allowlist, one row per rule.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

const std::string kDoc = kDocs + "/users/alice";

TEST_CASE("system parameters other than alt, fields and prettyPrint are refused") {
  check_statuses({
      {"access_token", "GET", kDoc + "?access_token=ya29.x", 400},
      {"oauth_token", "GET", kDoc + "?oauth_token=x", 400},
      {"key", "GET", kDoc + "?key=AIza", 400},
      {"quotaUser", "GET", kDoc + "?quotaUser=x", 400},
      {"userIp", "GET", kDoc + "?userIp=1.2.3.4", 400},
      {"callback", "GET", kDoc + "?callback=f", 400},
      {"$ct", "POST", kDocs + ":runQuery?$ct=text/plain", 400},
      {"$method", "GET", kDoc + "?$method=DELETE", 400},
      {"$.xgafv", "GET", kDoc + "?$.xgafv=2", 400},
      {"uploadType", "GET", kDoc + "?uploadType=media", 400},
      {"upload_protocol", "GET", kDoc + "?upload_protocol=raw", 400},
      {"$-prefixed method parameter", "GET", kDoc + "?$mask.fieldPaths=a", 400},
      {"unknown parameter", "GET", kDoc + "?foo=bar", 400},
      {"alt=json", "GET", kDoc + "?alt=json", 200},
      {"$alt=json;enum-encoding=int (Node SDK)", "GET", kDoc + "?$alt=json%3Benum-encoding=int",
       200},
      {"fields and prettyPrint", "GET", kDoc + "?fields=name&prettyPrint=false", 200},
      {"$fields and $prettyPrint", "GET", kDoc + "?$fields=name&$prettyPrint=true", 200},
      {"alt=proto", "GET", kDoc + "?alt=proto", 400},
      {"alt=media", "GET", kDoc + "?alt=media", 400},
      {"$alt=sse", "POST", kDocs + ":runQuery?$alt=sse", 400},
      {"alt=JSON (case)", "GET", kDoc + "?alt=JSON", 400},
      {"alt=json;enum-encoding=string", "GET", kDoc + "?alt=json%3Benum-encoding%3Dstring", 400},
      {"prettyPrint=1", "GET", kDoc + "?prettyPrint=1", 400},
  });
}

TEST_CASE("each method accepts only its own parameters") {
  check_statuses({
      {"documentId on GET", "GET", kDoc + "?documentId=x", 400},
      {"currentDocument.exists on GET", "GET", kDoc + "?currentDocument.exists=true", 400},
      {"showMissing on a document GET", "GET", kDoc + "?showMissing=true", 400},
      {"pageSize on PATCH", "PATCH", kDoc + "?pageSize=1", 400},
      {"updateMask on DELETE", "DELETE", kDoc + "?updateMask.fieldPaths=a", 400},
      {"mask on DELETE", "DELETE", kDoc + "?mask.fieldPaths=a", 400},
      {"transaction on a body method", "POST", kDocs + ":runQuery?transaction=dHg=", 400},
      {"parent on a body method", "POST", kDocs + ":runQuery?parent=x", 400},
      {"collectionId on a listing", "GET", kDocs + "/users?collectionId=admins", 400},
      {"name on GET", "GET", kDoc + "?name=projects/p/databases/(default)/documents/x/y", 400},
      {"document.name on PATCH", "PATCH", kDoc + "?document.name=x", 400},
      {"alt on a body method", "POST", kDocs + ":beginTransaction?$alt=json%3Benum-encoding=int",
       200},
  });
}

TEST_CASE("a parameter in both spellings is refused") {
  check_statuses({
      {"mask", "GET", kDoc + "?mask.fieldPaths=a&mask.field_paths=b", 400},
      {"currentDocument.exists", "PATCH",
       kDoc + "?currentDocument.exists=true&current_document.exists=true", 400},
      {"pageSize", "GET", kDocs + "/users?pageSize=1&page_size=1", 400},
      {"alt and $alt", "GET", kDoc + "?alt=json&$alt=json", 400},
      {"fields and $fields", "GET", kDoc + "?fields=a&$fields=a", 400},
      {"snake_case alone", "GET", kDocs + "/users?page_size=1&page_token=x&show_missing=false",
       200},
  });
}

TEST_CASE("only repeated fields may repeat") {
  check_statuses({
      {"mask.fieldPaths repeats", "GET", kDoc + "?mask.fieldPaths=a&mask.fieldPaths=b", 200},
      {"pageSize twice", "GET", kDocs + "/users?pageSize=1&pageSize=2", 400},
      {"exists twice", "PATCH", kDoc + "?currentDocument.exists=true&currentDocument.exists=false",
       400},
      {"documentId twice", "POST", kDocs + "/users?documentId=a&documentId=b", 400},
      {"alt twice", "GET", kDoc + "?alt=json&alt=json", 400},
  });
}

TEST_CASE("parameter values are typed") {
  check_statuses({
      {"exists=1", "PATCH", kDoc + "?currentDocument.exists=1", 400},
      {"exists=TRUE", "PATCH", kDoc + "?currentDocument.exists=TRUE", 400},
      {"exists empty", "PATCH", kDoc + "?currentDocument.exists=", 400},
      {"exists without value", "PATCH", kDoc + "?currentDocument.exists", 400},
      {"pageSize not a number", "GET", kDocs + "/users?pageSize=ten", 400},
      {"pageSize out of int32", "GET", kDocs + "/users?pageSize=2147483648", 400},
      {"pageSize negative", "GET", kDocs + "/users?pageSize=-1", 200},
      {"updateTime not a time", "PATCH", kDoc + "?currentDocument.updateTime=yesterday", 400},
      {"updateTime empty", "PATCH", kDoc + "?currentDocument.updateTime=", 400},
      {"updateTime at the epoch", "PATCH",
       kDoc + "?currentDocument.updateTime=1970-01-01T00:00:00Z", 400},
      {"updateTime a nanosecond after the epoch", "PATCH",
       kDoc + "?currentDocument.updateTime=1970-01-01T00:00:00.000000001Z", 200},
      {"updateTime before the epoch", "PATCH",
       kDoc + "?currentDocument.updateTime=1960-01-01T00:00:00Z", 400},
      {"updateTime with offset", "PATCH",
       kDoc + "?currentDocument.updateTime=2024-01-01T00:00:00%2B01:00", 200},
      {"readTime not a time", "GET", kDoc + "?readTime=now", 400},
      {"transaction not base64", "GET", kDoc + "?transaction=a*b", 400},
  });
}

TEST_CASE("parameters from one proto oneof exclude each other") {
  check_statuses({
      {"transaction and readTime", "GET", kDoc + "?transaction=dHg=&readTime=2024-01-01T00:00:00Z",
       400},
      {"exists and updateTime", "PATCH",
       kDoc + "?currentDocument.exists=true&currentDocument.updateTime=2024-01-01T00:00:00Z", 400},
  });
}

TEST_CASE("query strings that parsers could read differently are refused") {
  check_statuses({
      {"raw '+'", "PATCH", kDoc + "?currentDocument.updateTime=2024-01-01T00:00:00+01:00", 400},
      {"raw ';' separator", "GET", kDoc + "?alt=json;key=x", 400},
      {"double-encoded '$'", "GET", kDoc + "?%2524alt=json", 400},
      {"double-encoded letter", "PATCH", kDoc + "?currentDocument.exist%2573=true", 400},
      {"name decodes to '%'", "GET", kDoc + "?alt%25=json", 400},
      {"malformed escape in a name", "GET", kDoc + "?%2alt=json", 400},
      {"name decodes to a space", "GET", kDoc + "?fields%20=a", 400},
      {"name decodes to '&'", "GET", kDoc + "?alt%26key=json", 400},
      {"name decodes to '='", "GET", kDoc + "?fields%3Dx=a", 400},
      {"name decodes to nothing allowed", "GET", kDoc + "?%6Bey=x", 400},
      {"empty pair", "GET", kDoc + "?alt=json&&fields=a", 400},
      {"trailing '&'", "GET", kDoc + "?alt=json&", 400},
      {"empty name", "GET", kDoc + "?=json", 400},
      {"raw space", "GET", kDoc + "?fields=a b", 400},
      {"control character", "GET", kDoc + "?fields=a%0Ab", 400},
      {"invalid UTF-8", "GET", kDoc + "?fields=%FF", 400},
      {"malformed escape", "GET", kDoc + "?fields=%G0", 400},
      {"empty query", "GET", kDoc + "?", 200},
  });
}

TEST_CASE("parameter names are percent-decoded once, then allowlisted") {
  check_statuses({
      // Python's generated REST client (requests' urlencode) sends $alt as %24alt.
      {"encoded '$' (Python REST)", "GET", kDoc + "?%24alt=json%3Benum-encoding%3Dint", 200},
      {"encoded letter", "PATCH", kDoc + "?currentDocument.exist%73=true", 200},
      {"encoded '.' and '_'", "PATCH", kDoc + "?current%5Fdocument%2Eexists=true", 200},
      {"lower-case hex", "GET", kDoc + "?%24fields=name", 200},
      {"encoded refused name", "GET", kDoc + "?%61ccess_token=x", 400},
      {"encoded '$' of a method parameter", "GET", kDocs + "/users?%24pageSize=1", 400},
  });
}

TEST_CASE("one parameter in two encodings or spellings is refused") {
  check_statuses({
      {"$alt and %24alt", "GET", kDoc + "?$alt=json&%24alt=json", 400},
      {"%24alt and $alt", "GET", kDoc + "?%24alt=json&$alt=json", 400},
      {"alt and %24alt", "GET", kDoc + "?alt=json&%24alt=json", 400},
      {"alt and %61lt", "GET", kDoc + "?alt=json&%61lt=json", 400},
      {"%24alt twice", "GET", kDoc + "?%24alt=json&%24alt=json", 400},
      {"repeated mask, two encodings", "GET", kDoc + "?mask.fieldPaths=a&mask%2EfieldPaths=b", 400},
      {"repeated mask, one encoding", "GET", kDoc + "?mask%2EfieldPaths=a&mask%2EfieldPaths=b",
       200},
      {"exists and encoded exists", "PATCH",
       kDoc + "?currentDocument.exists=true&currentDocument.exist%73=false", 400},
  });
}

TEST_CASE("an encoded name reaches upstream in its canonical spelling") {
  const auto result =
      classify_request("GET", kDoc + "?%24alt=json%3Benum-encoding%3Dint&mask%2EfieldPaths=a", "");
  CHECK(std::get<RequestModel>(result).upstream_target ==
        kDoc + "?alt=json%3Benum-encoding%3Dint&mask.fieldPaths=a");
}

TEST_CASE("documentId must be a valid ID") {
  check_statuses({
      {"plain", "POST", kDocs + "/users?documentId=alice", 200},
      {"empty: server-assigned", "POST", kDocs + "/users?documentId=", 200},
      {"encoded slash would create deeper", "POST", kDocs + "/users?documentId=a%2Fposts%2Fp", 400},
      {"dot-dot", "POST", kDocs + "/users?documentId=..", 400},
      {"reserved", "POST", kDocs + "/users?documentId=__a__", 400},
      {"too long", "POST", kDocs + "/users?documentId=" + std::string(1501, 'a'), 400},
  });
}

TEST_CASE("upstream receives the parameters re-encoded in their canonical spelling") {
  const auto result =
      classify_request("PATCH",
                       kDoc +
                           "?$alt=json%3Benum-encoding=int&current_document.exists=true"
                           "&update_mask.field_paths=a%20b&mask.fieldPaths=%E2%9C%93",
                       "{}");
  CHECK(std::get<RequestModel>(result).upstream_target ==
        kDoc +
            "?alt=json%3Benum-encoding%3Dint&currentDocument.exists=true"
            "&updateMask.fieldPaths=a%20b&mask.fieldPaths=%E2%9C%93");
}

TEST_CASE("snake_case query parameters classify like lowerCamel ones") {
  const auto camel = classify_request("PATCH", kDoc + "?currentDocument.exists=false", "{}");
  const auto snake = classify_request("PATCH", kDoc + "?current_document.exists=false", "{}");
  CHECK(outcome(camel) == "ok patch: [create users]");
  CHECK(outcome(snake) == outcome(camel));
  CHECK(std::get<RequestModel>(snake).upstream_target ==
        std::get<RequestModel>(camel).upstream_target);
}
