// Streaming responses and pipelining through the running proxy.
#include <catch2/catch.hpp>

#include "support/firewarden_instance.hpp"

using namespace firewarden::testing;

TEST_CASE("streaming: a runQuery response (a streamed JSON array) arrives whole") {
  FirewardenInstance fw;
  const int documents = 200;
  std::string writes;
  for (int i = 0; i < documents; ++i) {
    if (!writes.empty()) writes += ",";
    writes += R"({"update":{"name":")" + fw.document_name("orders/o" + std::to_string(i)) +
              R"(","fields":{"pad":{"stringValue":")" + std::string(500, 'x') + R"("}}}})";
  }
  REQUIRE(
      fw.request(json_post(fw.documents() + ":commit", R"({"writes":[)" + writes + "]}")).status ==
      200);

  const auto response = fw.request(json_post(
      fw.documents() + ":runQuery", R"({"structuredQuery":{"from":[{"collectionId":"orders"}]}})"));
  REQUIRE(response.status == 200);
  std::size_t found = 0;
  for (std::size_t at = response.body.find("\"document\""); at != std::string::npos;
       at = response.body.find("\"document\"", at + 1)) {
    ++found;
  }
  CHECK(found == documents);
  CHECK(response.body.size() > documents * 500);
}

TEST_CASE("pipelining: requests sent back to back are answered in order") {
  FirewardenInstance fw;
  emulator_put(fw.options().project, "orders/first", R"({"n":{"integerValue":"1"}})");
  emulator_put(fw.options().project, "orders/second", R"({"n":{"integerValue":"2"}})");
  const std::string host = "Host: 127.0.0.1\r\n";
  const std::string bytes = "GET " + fw.documents() + "/orders/first HTTP/1.1\r\n" + host + "\r\n" +
                            "GET " + fw.documents() + "/payments/p1 HTTP/1.1\r\n" + host + "\r\n" +
                            "GET " + fw.documents() + "/orders/second HTTP/1.1\r\n" + host +
                            "Connection: close\r\n\r\n";
  const std::string received = raw_exchange(fw.port(), bytes);
  const auto first = received.find("orders/first");
  const auto denied = received.find("403 Forbidden");
  const auto second = received.find("orders/second");
  REQUIRE(first != std::string::npos);
  REQUIRE(denied != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < denied);
  CHECK(denied < second);
}
