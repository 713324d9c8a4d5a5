// The documents a request names (RequestModel::documents), for the access
// log: paths from the documents root, de-duplicated, in order.
#include <catch2/catch.hpp>

#include "classify_support.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

std::vector<std::string> documents_of(const std::string& method, const std::string& target,
                                      const std::string& body = {}) {
  const auto result = classify_request(method, target, body);
  INFO(outcome(result));
  REQUIRE(std::holds_alternative<RequestModel>(result));
  return std::get<RequestModel>(result).documents;
}

std::string name(const std::string& path) { return "\"" + kDb + "/documents/" + path + "\""; }

}  // namespace

TEST_CASE("documents: the URL's document for get, patch and delete") {
  using List = std::vector<std::string>;
  CHECK(documents_of("GET", kDocs + "/orders/o1") == List{"orders/o1"});
  CHECK(documents_of("GET", kDocs + "/orders/o1/items/i2") == List{"orders/o1/items/i2"});
  CHECK(documents_of("DELETE", kDocs + "/orders/o1") == List{"orders/o1"});
  CHECK(documents_of("PATCH", kDocs + "/orders/o1", R"({"fields":{}})") == List{"orders/o1"});
}

TEST_CASE("documents: none for lists, queries and creations without an id") {
  CHECK(documents_of("GET", kDocs + "/orders").empty());
  CHECK(documents_of("POST", kDocs + "/orders", R"({"fields":{}})").empty());
  CHECK(documents_of("POST", kDocs + ":runQuery",
                     R"({"structuredQuery":{"from":[{"collectionId":"orders"}]}})")
            .empty());
}

TEST_CASE("documents: every write of a commit and every batchGet name, once each, in order") {
  const std::string commit = "{\"writes\":[{\"update\":{\"name\":" + name("orders/o2") +
                             ",\"fields\":{}}},{\"delete\":" + name("orders/o1") +
                             "},{\"transform\":{\"document\":" + name("orders/o2") +
                             ",\"fieldTransforms\":[]}}]}";
  CHECK(documents_of("POST", kDocs + ":commit", commit) ==
        std::vector<std::string>{"orders/o2", "orders/o1"});
  const std::string batch_get =
      "{\"documents\":[" + name("users/u1") + "," + name("orders/o1/items/i1") + "]}";
  CHECK(documents_of("POST", kDocs + ":batchGet", batch_get) ==
        std::vector<std::string>{"users/u1", "orders/o1/items/i1"});
}
