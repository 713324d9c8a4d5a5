// xfcc mode: identity from x-forwarded-client-cert, honoured only from
// trusted peers.
#include <catch2/catch.hpp>

#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"

using namespace firewarden::testing;

namespace {

HttpRequestSpec commit_as(const FirewardenInstance& fw, const std::string& path,
                          const std::string& xfcc) {
  auto spec =
      json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                fw.document_name(path) + R"(","fields":{}}}]})");
  if (!xfcc.empty()) spec.headers.emplace_back("x-forwarded-client-cert", xfcc);
  return spec;
}

const std::string kOrders =
    "By=spiffe://cluster.local/ns/firewarden/sa/firewarden;Hash=abc;"
    "URI=spiffe://cluster.local/ns/orders/sa/orders-api";

}  // namespace

TEST_CASE("xfcc: the identity of the last element decides") {
  FirewardenInstance fw({.mode = "xfcc"});
  CHECK(fw.request(commit_as(fw, "orders/o1", kOrders)).status == 200);
  CHECK(emulator_get(fw.options().project, "orders/o1").status == 200);

  const auto analytics =
      fw.request(commit_as(fw, "orders/o2", "URI=spiffe://cluster.local/ns/analytics/sa/reporter"));
  CHECK(analytics.status == 403);
  CHECK(emulator_get(fw.options().project, "orders/o2").status == 404);
}

TEST_CASE("xfcc: missing, repeated or malformed headers are 401") {
  FirewardenInstance fw({.mode = "xfcc"});
  auto twice = commit_as(fw, "orders/twice", kOrders);
  twice.headers.emplace_back("x-forwarded-client-cert", kOrders);
  for (const auto& spec : {commit_as(fw, "orders/none", ""), twice,
                           commit_as(fw, "orders/bad", "URI=\"spiffe://cluster.local/ns/orders")}) {
    const auto response = fw.request(spec);
    CHECK(response.status == 401);
  }
  for (const std::string path : {"orders/none", "orders/twice", "orders/bad"}) {
    CHECK(emulator_get(fw.options().project, path).status == 404);
  }
}

TEST_CASE("xfcc: a peer outside trusted_peers is refused even with a valid header") {
  FirewardenInstance fw({.mode = "xfcc", .trusted_peers = "[\"10.0.0.0/8\"]"});
  const auto response = fw.request(commit_as(fw, "orders/o1", kOrders));
  CHECK(response.status == 401);
  CHECK_THAT(response.body, Catch::Contains("trusted peers"));
  CHECK(emulator_get(fw.options().project, "orders/o1").status == 404);
}

// A connection remembers the identity of its last accepted header (a mesh
// hop repeats it); a different header on the same connection must be read
// afresh, whether it names another caller or is unreadable.
TEST_CASE("xfcc: each request on one connection is judged by its own header") {
  FirewardenInstance fw({.mode = "xfcc"});
  PersistentConnection connection(fw.port());
  REQUIRE(connection.connected());
  const std::string analytics = "URI=spiffe://cluster.local/ns/analytics/sa/reporter";

  CHECK(connection.request(commit_as(fw, "orders/k1", kOrders)).status == 200);
  CHECK(connection.request(commit_as(fw, "orders/k2", analytics)).status == 403);
  CHECK(connection.request(commit_as(fw, "orders/k3", kOrders)).status == 200);
  CHECK(connection.request(commit_as(fw, "orders/k4", "URI=\"spiffe://cluster.local/ns/orders"))
            .status == 401);
  CHECK(connection.request(commit_as(fw, "orders/k5", "")).status == 401);
  // The remembered header is the whole value: one that merely starts with it
  // names a different last element, and that one decides.
  CHECK(connection.request(commit_as(fw, "orders/k6", kOrders + "," + analytics)).status == 403);
  CHECK(connection.request(commit_as(fw, "orders/k7", kOrders)).status == 200);

  for (const std::string path : {"orders/k1", "orders/k3", "orders/k7"}) {
    CHECK(emulator_get(fw.options().project, path).status == 200);
  }
  for (const std::string path : {"orders/k2", "orders/k4", "orders/k5", "orders/k6"}) {
    CHECK(emulator_get(fw.options().project, path).status == 404);
  }
}
