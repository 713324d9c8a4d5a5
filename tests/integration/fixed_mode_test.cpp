// fixed identity mode against the real emulator: allowed requests change it,
// denied ones get the right code and leave it unchanged (checked directly).
#include <catch2/catch.hpp>

#include "support/firewarden_instance.hpp"

using namespace firewarden::testing;

namespace {

std::string commit_update(const FirewardenInstance& fw, const std::string& path) {
  return R"({"writes":[{"update":{"name":")" + fw.document_name(path) +
         R"(","fields":{"total":{"integerValue":"3"}}}}]})";
}

}  // namespace

TEST_CASE("fixed: an allowed write reaches the emulator and can be read back") {
  FirewardenInstance fw;  // orders namespace
  const auto write =
      fw.request(json_post(fw.documents() + ":commit", commit_update(fw, "orders/o1")));
  REQUIRE(write.status == 200);
  CHECK(emulator_get(fw.options().project, "orders/o1").status == 200);

  const auto read = fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
  CHECK(read.status == 200);
  CHECK_THAT(read.body, Catch::Contains("\"integerValue\": \"3\""));
  CHECK(!read.headers.at("x-request-id").empty());
}

TEST_CASE("fixed: a denied write is 403 and the emulator is unchanged") {
  FirewardenInstance fw;
  const auto denied =
      fw.request(json_post(fw.documents() + ":commit", commit_update(fw, "payments/p1")));
  CHECK(denied.status == 403);
  CHECK_THAT(denied.body, Catch::Contains("\"status\":\"PERMISSION_DENIED\""));
  CHECK_THAT(denied.body, Catch::Contains("spiffe://cluster.local/ns/orders/sa/orders-api"));
  CHECK_THAT(denied.body, Catch::Contains("payments"));
  CHECK(emulator_get(fw.options().project, "payments/p1").status == 404);
}

TEST_CASE("fixed: a commit mixing an allowed and a forbidden write changes nothing") {
  FirewardenInstance fw;
  const std::string body = R"({"writes":[{"update":{"name":")" + fw.document_name("orders/o2") +
                           R"(","fields":{}}},{"delete":")" + fw.document_name("payments/p1") +
                           R"("}]})";
  const auto denied = fw.request(json_post(fw.documents() + ":commit", body));
  CHECK(denied.status == 403);
  CHECK_THAT(denied.body, Catch::Contains("delete in collection payments"));
  CHECK(emulator_get(fw.options().project, "orders/o2").status == 404);
}

TEST_CASE("fixed: unreadable requests are 400 and nothing reaches the emulator") {
  FirewardenInstance fw;
  struct Case {
    std::string name;
    HttpRequestSpec spec;
  };
  const std::string docs = fw.documents();
  const std::vector<Case> cases{
      {"duplicate JSON key",
       json_post(docs + ":commit", R"({"writes":[],"writes":[{"update":{"name":")" +
                                       fw.document_name("orders/dup") + R"(","fields":{}}}]})")},
      {"method override",
       {"POST",
        docs + ":commit",
        "{}",
        {{"content-type", "application/json"}, {"x-http-method-override", "DELETE"}}}},
      {"access_token parameter", {"GET", docs + "/orders/o1?access_token=x", {}, {}}},
      {"encoded slash", {"GET", docs + "/orders%2Fo1/items/i1", {}, {}}},
      {"dot segment", {"GET", docs + "/orders/../payments/p1", {}, {}}},
      {"absolute-form target", {"GET", "http://evil.example" + docs + "/orders/o1", {}, {}}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto response = fw.request(c.spec);
    CHECK(response.status == 400);
    CHECK_THAT(response.body, Catch::Contains("INVALID_ARGUMENT"));
  }
  CHECK(emulator_get(fw.options().project, "orders/dup").status == 404);
}

TEST_CASE("fixed: another project is 403, an unsupported method 501") {
  FirewardenInstance fw;
  const auto other = fw.request(
      {"GET", "/v1/projects/someone-else/databases/(default)/documents/orders/o1", {}, {}});
  CHECK(other.status == 403);
  const auto listen = fw.request(json_post(fw.documents() + ":listen", "{}"));
  CHECK(listen.status == 501);
  CHECK_THAT(listen.body, Catch::Contains("UNIMPLEMENTED"));
}

TEST_CASE("fixed: an unreachable upstream is 502, never 403") {
  const unsigned short closed_port = free_port();
  FirewardenInstance fw({.upstream = "http://127.0.0.1:" + std::to_string(closed_port)});
  const auto response = fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
  CHECK(response.status == 502);
  CHECK_THAT(response.body, Catch::Contains("\"status\":\"UNAVAILABLE\""));
}

TEST_CASE("fixed: a body over max_body_bytes is 413") {
  FirewardenInstance fw({.limits = "{shutdown_grace: 3s, max_body_bytes: 1KiB}"});
  const auto response = fw.request(json_post(
      fw.documents() + ":commit", R"({"writes":[],"x":")" + std::string(2000, 'a') + "\"}"));
  CHECK(response.status == 413);
}
