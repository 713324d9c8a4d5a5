// What a write returns is a read (SPEC §4), through the socket against the
// real emulator: a caller that may write `orders` but not read it gets its
// writes' responses without document data (PATCH with and without
// mask.fieldPaths, CreateDocument, a Commit's transformResults), while the
// write itself reaches the emulator; a caller with `get` sees everything.
// Then, with a recording upstream: what the cut refuses (502), and that a
// response it must read is asked for unencoded.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

namespace {

// ingest may write orders and read nothing; orders owns orders.
const char* const kPolicy = R"(version: 1
rules:
  - name: ingest-writes-orders
    subjects: {namespaces: [ingest]}
    collections: [orders]
    actions: [write]
  - name: ingest-never-reads
    effect: deny
    subjects: {namespaces: [ingest]}
    collections: ["**"]
    actions: [read]
  - name: orders-own-orders
    subjects: {namespaces: [orders]}
    collections: [orders]
    actions: [read, write]
)";

const std::string kWriter = "spiffe://cluster.local/ns/ingest/sa/loader";
const std::string kOwner = "spiffe://cluster.local/ns/orders/sa/orders-api";
const std::string kSecret = "s3cr3t-value";

// One firewarden per identity (fixed mode), both on one project.
struct Callers {
  TempDir dir;
  std::string policy = dir.write("policy.yaml", kPolicy);
  std::string project = unique_project();
  FirewardenInstance writer{{.fixed_id = kWriter, .project = project, .policy_file = policy}};
  FirewardenInstance owner{{.fixed_id = kOwner, .project = project, .policy_file = policy}};
};

json parse(const HttpResponse& response) {
  INFO(response.status << " " << response.body << response.error);
  REQUIRE(json::accept(response.body));
  return json::parse(response.body);
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

HttpRequestSpec patch(const FirewardenInstance& fw, const std::string& path,
                      const std::string& query, const std::string& fields) {
  auto spec = json_post(fw.documents() + "/" + path + query, R"({"fields":)" + fields + "}");
  spec.method = "PATCH";
  return spec;
}

// The emulator's own view of a document's fields (not through firewarden).
json stored_fields(const std::string& project, const std::string& path) {
  const auto response = emulator_get(project, path);
  REQUIRE(response.status == 200);
  return parse(response)["fields"];
}

const std::set<std::string> kDocumentMetadata{"name", "createTime", "updateTime"};

}  // namespace

TEST_CASE("write response: a write-only caller's PATCH returns no fields, the write happens") {
  Callers callers;
  emulator_put(callers.project, "orders/o1", R"({"secret":{"stringValue":")" + kSecret + "\"}}");

  SECTION("without a mask: the whole document would come back") {
    const auto response =
        callers.writer.request(patch(callers.writer, "orders/o1", "?updateMask.fieldPaths=status",
                                     R"({"status":{"stringValue":"paid"}})"));
    REQUIRE(response.status == 200);
    const json body = parse(response);
    CHECK(keys(body) == kDocumentMetadata);
    CHECK(body["name"] == callers.writer.document_name("orders/o1"));
    CHECK_THAT(response.body, !Catch::Contains(kSecret) && !Catch::Contains("paid"));
    CHECK(response.headers.at("content-length") == std::to_string(response.body.size()));
    const json stored = stored_fields(callers.project, "orders/o1");
    CHECK(stored["status"]["stringValue"] == "paid");
    CHECK(stored["secret"]["stringValue"] == kSecret);
  }
  SECTION("with mask.fieldPaths naming the field it may not read") {
    const auto response = callers.writer.request(
        patch(callers.writer, "orders/o1", "?updateMask.fieldPaths=n&mask.fieldPaths=secret",
              R"({"n":{"integerValue":"1"}})"));
    REQUIRE(response.status == 200);
    CHECK(keys(parse(response)) == kDocumentMetadata);
    CHECK_THAT(response.body, !Catch::Contains(kSecret));
    CHECK(stored_fields(callers.project, "orders/o1")["n"]["integerValue"] == "1");
  }
  SECTION("the owner, who may get, sees the whole response as Firestore sent it") {
    const auto response = callers.owner.request(
        patch(callers.owner, "orders/o1", "?updateMask.fieldPaths=n&mask.fieldPaths=secret",
              R"({"n":{"integerValue":"2"}})"));
    REQUIRE(response.status == 200);
    CHECK(parse(response)["fields"]["secret"]["stringValue"] == kSecret);
  }
}

TEST_CASE("write response: a write-only caller's CreateDocument returns no fields") {
  Callers callers;
  const auto created = callers.writer.request(
      json_post(callers.writer.documents() + "/orders?documentId=new1",
                R"({"fields":{"secret":{"stringValue":")" + kSecret + R"("}}})"));
  REQUIRE(created.status == 200);
  const json body = parse(created);
  CHECK(keys(body) == kDocumentMetadata);
  CHECK(body["name"] == callers.writer.document_name("orders/new1"));
  CHECK_THAT(created.body, !Catch::Contains(kSecret));
  CHECK(stored_fields(callers.project, "orders/new1")["secret"]["stringValue"] == kSecret);

  const auto owners = callers.owner.request(
      json_post(callers.owner.documents() + "/orders?documentId=new2",
                R"({"fields":{"secret":{"stringValue":")" + kSecret + R"("}}})"));
  REQUIRE(owners.status == 200);
  CHECK(parse(owners)["fields"]["secret"]["stringValue"] == kSecret);
}

TEST_CASE("write response: an increment by 0 in a Commit does not read the number") {
  Callers callers;
  emulator_put(callers.project, "orders/c1", R"({"counter":{"integerValue":"1337"}})");
  const auto commit = [&](const FirewardenInstance& fw, const std::string& mark) {
    return fw.request(json_post(
        fw.documents() + ":commit",
        R"({"writes":[{"update":{"name":")" + fw.document_name("orders/c1") +
            R"(","fields":{"mark":{"stringValue":")" + mark +
            R"("}}},"updateMask":{"fieldPaths":["mark"]},)"
            R"("updateTransforms":[{"fieldPath":"counter","increment":{"integerValue":"0"}}]}]})"));
  };

  const auto cut = commit(callers.writer, "by-writer");
  REQUIRE(cut.status == 200);
  const json body = parse(cut);
  CHECK(keys(body) == std::set<std::string>{"writeResults", "commitTime"});
  REQUIRE(body["writeResults"].size() == 1);
  CHECK(keys(body["writeResults"][0]) == std::set<std::string>{"updateTime"});
  CHECK_THAT(cut.body, !Catch::Contains("1337") && !Catch::Contains("transformResults"));
  const json stored = stored_fields(callers.project, "orders/c1");
  CHECK(stored["mark"]["stringValue"] == "by-writer");  // the write happened
  CHECK(stored["counter"]["integerValue"] == "1337");

  const auto full = commit(callers.owner, "by-owner");
  REQUIRE(full.status == 200);
  CHECK(parse(full)["writeResults"][0]["transformResults"][0]["integerValue"] == "1337");
}

TEST_CASE("write response: errors pass as Firestore sent them, and the connection goes on") {
  Callers callers;
  PersistentConnection connection(callers.writer.port());
  REQUIRE(connection.connected());
  // An update of a document that does not exist: Firestore's 404, as is.
  const auto missing =
      connection.request(patch(callers.writer, "orders/none", "?currentDocument.exists=true",
                               R"({"a":{"booleanValue":true}})"));
  CHECK(missing.status == 404);
  CHECK_THAT(missing.body, Catch::Contains("NOT_FOUND"));
  CHECK(emulator_get(callers.project, "orders/none").status == 404);
  // A cut response, then another, on the same client connection.
  for (const char* id : {"k1", "k2"}) {
    const auto created =
        connection.request(json_post(callers.writer.documents() + "/orders?documentId=" + id,
                                     R"({"fields":{"v":{"nullValue":null}}})"));
    CHECK(created.status == 200);
    CHECK(keys(parse(created)) == kDocumentMetadata);
  }
  // Denials are unchanged: the write-only caller still may not read.
  CHECK(connection.request({"GET", callers.writer.documents() + "/orders/k1", {}, {}}).status ==
        403);
}

TEST_CASE("write response: what cannot be cut is 502, and the cut reads an unencoded body") {
  TempDir dir;
  const std::string policy = dir.write("policy.yaml", kPolicy);
  const std::string write = R"({"fields":{"a":{"stringValue":"b"}}})";
  const auto writer_with = [&](const RecordingUpstream& upstream) {
    return InstanceOptions{.fixed_id = kWriter,
                           .upstream = upstream.url(),
                           .policy_file = policy,
                           .limits = "{shutdown_grace: 3s, max_body_bytes: 4KiB}"};
  };

  SECTION("a 200 that is not JSON") {
    RecordingUpstream upstream(200, "<html>not a document</html>");
    FirewardenInstance fw(writer_with(upstream));
    const auto response = fw.request(json_post(fw.documents() + "/orders?documentId=x", write));
    CHECK(response.status == 502);
    CHECK(parse(response)["error"]["status"] == "UNAVAILABLE");
    CHECK_THAT(response.body, !Catch::Contains("not a document"));
    CHECK(upstream.requests().size() == 1);  // forwarded once: the write was allowed
  }
  SECTION("a 200 over the bound (limits.max_body_bytes)") {
    const std::string big =
        R"({"name":"n","fields":{"s":{"stringValue":")" + std::string(5000, 'x') + R"("}}})";
    RecordingUpstream upstream(200, big);
    FirewardenInstance fw(writer_with(upstream));
    const auto response = fw.request(json_post(fw.documents() + "/orders?documentId=x", write));
    CHECK(response.status == 502);
    CHECK_THAT(response.body, Catch::Contains("over 4096 bytes") && !Catch::Contains("xxxx"));
  }
  SECTION("a cuttable 200: Accept-Encoding is not forwarded, upstream's headers are") {
    RecordingUpstream upstream(200, R"({"name":"n","fields":{"s":{"stringValue":"hidden"}}})");
    FirewardenInstance fw(writer_with(upstream));
    auto spec = json_post(fw.documents() + "/orders?documentId=x", write);
    spec.headers.emplace_back("accept-encoding", "gzip, deflate");
    const auto response = fw.request(spec);
    REQUIRE(response.status == 200);
    CHECK(parse(response) == json{{"name", "n"}});
    CHECK(response.headers.at("x-upstream-secret") == "must-pass-through");
    CHECK(response.headers.count("x-hop") == 0);  // named in upstream's Connection
    REQUIRE(upstream.requests().size() == 1);
    CHECK(upstream.requests().front().header("accept-encoding").empty());
  }
  SECTION("an error status passes whole, whatever its body") {
    RecordingUpstream upstream(409, "not JSON, and not cut");
    FirewardenInstance fw(writer_with(upstream));
    const auto response = fw.request(json_post(fw.documents() + "/orders?documentId=x", write));
    CHECK(response.status == 409);
    CHECK(response.body == "not JSON, and not cut");
  }
  SECTION("a caller with get: the response streams as it came, Accept-Encoding forwarded") {
    RecordingUpstream upstream(200, "<html>passed through</html>");
    auto options = writer_with(upstream);
    options.fixed_id = kOwner;
    FirewardenInstance fw(options);
    auto spec = json_post(fw.documents() + "/orders?documentId=x", write);
    spec.headers.emplace_back("accept-encoding", "gzip");
    const auto response = fw.request(spec);
    CHECK(response.status == 200);
    CHECK(response.body == "<html>passed through</html>");
    REQUIRE(upstream.requests().size() == 1);
    CHECK(upstream.requests().front().header("accept-encoding") == "gzip");
  }
}
