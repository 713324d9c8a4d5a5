// About 370 lines: every case shares the curl runner and the access-line
// reader defined here; the attack cases live in the corpus (corpus-h2).
//
// REST over HTTP/2 through the real binary against the emulator: curl
// --http2-prior-knowledge (fixed mode) and --http2 over mTLS are served as
// over HTTP/1.1 (same decisions, same error bodies, access lines with
// protocol "rest"); what RFC 9113 makes malformed (connection-specific
// fields, a Content-Length the DATA does not match) is refused and never
// forwarded. The attack corpus runs
// over HTTP/2 too (tests/corpus, cases marked `h2: yes`).
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"
#include "support/h2_frames.hpp"
#include "support/h2_grpc_frames.hpp"
#include "support/process.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
namespace raw = firewarden::testing::h2;

namespace {

struct CurlResult {
  int status = 0;
  std::string version;  // curl's %{http_version}: "2" for HTTP/2
  std::string head;     // the response fields as curl printed them
  std::string body;
  std::string transfers;  // every -w line, for multi-transfer runs
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs curl (the arguments are the test's own, no caller data) and reads
// what it wrote: status and HTTP version, head, body.
CurlResult curl(const std::string& arguments) {
  TempDir dir;
  const std::string command = "curl -s -m 10 -o " + dir.path() + "/body -D " + dir.path() +
                              "/head -w '%{http_code} %{http_version}\\n' " + arguments;
  CurlResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.transfers += buffer;
  ::pclose(pipe);
  std::istringstream first(result.transfers);
  first >> result.status >> result.version;
  result.head = read_file(dir.path() + "/head");
  result.body = read_file(dir.path() + "/body");
  return result;
}

// The documents path for a shell command line: "(default)" escaped.
std::string shell_docs(const FirewardenInstance& fw) {
  return std::regex_replace(fw.documents(), std::regex(R"([()])"), R"(\$&)");
}

std::string h2c(const FirewardenInstance& fw) {
  return "--http2-prior-knowledge http://127.0.0.1:" + std::to_string(fw.port());
}

std::string h2_tls(const FirewardenInstance& fw, const std::string& client) {
  const auto files = client_tls(client);
  return "--http2 --cacert " + files.ca_file + " --cert " + files.cert_file + " --key " +
         files.key_file + " https://127.0.0.1:" + std::to_string(fw.port());
}

// curl arguments for a JSON request: METHOD, the body from a file, then the
// base URL the target is appended to.
std::string json_request(const std::string& method, const std::string& body_file,
                         const std::string& base, const std::string& target) {
  return "-X " + method + " -H 'content-type: application/json' --data-binary @" + body_file + " " +
         base + target;
}

// The access lines of one protocol ("rest", "grpc"), in order, once there
// are `at_least` (the access log is written in the background).
std::vector<nlohmann::json> access_lines(const FirewardenInstance& fw, const std::string& protocol,
                                         std::size_t at_least) {
  std::vector<nlohmann::json> lines;
  eventually(
      [&] {
        lines.clear();
        std::istringstream log(fw.access_log());
        for (std::string line; std::getline(log, line);) {
          auto json = nlohmann::json::parse(line, nullptr, false);
          if (json.is_object() && json.value("protocol", "") == protocol) lines.push_back(json);
        }
        return lines.size() >= at_least;
      },
      std::chrono::seconds(5));
  return lines;
}

// Google's error body without the request id its message ends with.
nlohmann::json error_without_request_id(const std::string& body) {
  auto json = nlohmann::json::parse(body);
  auto& message = json["error"]["message"];
  message =
      std::regex_replace(message.get<std::string>(), std::regex(R"( \[request [^\]]*\])"), "");
  return json;
}

// Fields RFC 9113 §8.2.2 forbids in an HTTP/2 message.
void check_no_connection_specific_fields(const std::string& head) {
  for (const char* name : {"\nconnection:", "\nkeep-alive:", "\ntransfer-encoding:", "\nupgrade:",
                           "\nproxy-connection:"}) {
    CAPTURE(name);
    CHECK(head.find(name) == std::string::npos);
  }
}

const std::string kOrderFields = R"({"fields":{"total":{"integerValue":"7"}}})";

void allowed_write_reads_back(const FirewardenInstance& fw, const std::string& base) {
  TempDir dir;
  const auto body = dir.write("order.json", kOrderFields);
  const auto written = curl(json_request("PATCH", body, base, shell_docs(fw) + "/orders/h2-write"));
  INFO(written.transfers << written.head << written.body);
  REQUIRE(written.status == 200);
  CHECK(written.version == "2");
  CHECK_THAT(written.body, Catch::Contains(fw.document_name("orders/h2-write")));
  check_no_connection_specific_fields(written.head);
  CHECK(emulator_get(fw.options().project, "orders/h2-write").status == 200);

  const auto read = curl(base + shell_docs(fw) + "/orders/h2-write");
  REQUIRE(read.status == 200);
  CHECK(read.version == "2");
  CHECK_THAT(read.body, Catch::Contains("\"integerValue\": \"7\""));
}

// The header fields each stream answered with on one hand-driven
// connection (every block, in order: a gRPC call's headers, then its
// trailers), once `streams` streams ended or after `timeout`. One decoder
// for the whole connection: its responses share HPACK's dynamic table.
std::map<std::uint32_t, std::vector<std::pair<std::string, std::string>>> answers(
    raw::RawConnection& connection, std::size_t streams,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  raw::HeaderDecoder decoder;
  std::map<std::uint32_t, std::vector<std::pair<std::string, std::string>>> fields;
  std::set<std::uint32_t> ended;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ended.size() < streams && std::chrono::steady_clock::now() < deadline) {
    auto frame = connection.next(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!frame) break;
    if (frame->type == raw::kHeaders) {
      auto decoded = decoder.decode(frame->payload);
      REQUIRE(decoded);
      auto& into = fields[frame->stream];
      into.insert(into.end(), decoded->begin(), decoded->end());
    }
    if ((frame->type == raw::kHeaders || frame->type == raw::kData) &&
        (frame->flags & raw::kEndStream) != 0) {
      ended.insert(frame->stream);
    }
  }
  return fields;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields,
                  const std::string& name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace

TEST_CASE("rest over HTTP/2: prior knowledge: an allowed write reaches the emulator, reads back") {
  FirewardenInstance fw;  // fixed: orders namespace
  allowed_write_reads_back(fw, h2c(fw));
  const auto lines = access_lines(fw, "rest", 2);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["decision"] == "allow");
  CHECK(lines[0]["status"] == 200);
  CHECK(lines[0]["http_method"] == "PATCH");
  CHECK(lines[1]["decision"] == "allow");
  CHECK(lines[1]["http_method"] == "GET");
}

TEST_CASE("rest over HTTP/2: mTLS with ALPN h2: an allowed write reaches the emulator") {
  FirewardenInstance fw({.mode = "mtls"});
  allowed_write_reads_back(fw, h2_tls(fw, "orders"));
  // A client that offers http/1.1 alone still gets it.
  const auto files = client_tls("orders");
  const auto http1 =
      curl("--http1.1 --cacert " + files.ca_file + " --cert " + files.cert_file + " --key " +
           files.key_file + " https://127.0.0.1:" + std::to_string(fw.port()) + shell_docs(fw) +
           "/orders/h2-write");
  CHECK(http1.status == 200);
  CHECK(http1.version == "1.1");
}

TEST_CASE("rest over HTTP/2: a denied write gets HTTP/1.1's 403 and reaches nothing") {
  FirewardenInstance fw;
  TempDir dir;
  const auto body = dir.write("order.json", kOrderFields);
  const auto denied = curl(json_request("PATCH", body, h2c(fw), shell_docs(fw) + "/payments/p9"));
  INFO(denied.head << denied.body);
  REQUIRE(denied.status == 403);
  CHECK(denied.version == "2");
  CHECK_THAT(denied.head, Catch::Contains("content-type: application/json"));
  check_no_connection_specific_fields(denied.head);
  CHECK(emulator_get(fw.options().project, "payments/p9").status == 404);

  const auto over_http1 = fw.request({"PATCH",
                                      fw.documents() + "/payments/p9",
                                      kOrderFields,
                                      {{"content-type", "application/json"}}});
  INFO(over_http1.body);
  REQUIRE(over_http1.status == 403);
  CHECK(error_without_request_id(denied.body) == error_without_request_id(over_http1.body));
  CHECK(emulator_get(fw.options().project, "payments/p9").status == 404);

  const auto lines = access_lines(fw, "rest", 2);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["decision"] == "deny");
  CHECK(lines[0]["status"] == 403);
  CHECK(lines[0]["upstream_status"].is_null());
}

TEST_CASE("rest over HTTP/2: batch bodies are decided per entry") {
  FirewardenInstance fw;
  emulator_put(fw.options().project, "orders/b1", R"({"n":{"stringValue":"order-one"}})");
  emulator_put(fw.options().project, "payments/b2", R"({"secret":{"stringValue":"S3CRET"}})");
  TempDir dir;
  const std::string docs = fw.document_name("");
  const auto base = h2c(fw);

  SECTION("commit: one forbidden write refuses the whole commit") {
    const auto body = dir.write("commit.json", R"({"writes":[{"update":{"name":")" + docs +
                                                   R"(orders/b3","fields":{}}},{"delete":")" +
                                                   docs + R"(payments/b2"}]})");
    const auto commit = curl(json_request("POST", body, base, shell_docs(fw) + ":commit"));
    CHECK(commit.status == 403);
    CHECK(emulator_get(fw.options().project, "orders/b3").status == 404);
    CHECK(emulator_get(fw.options().project, "payments/b2").status == 200);
  }
  SECTION("commit: every write allowed") {
    const auto body = dir.write("commit.json", R"({"writes":[{"update":{"name":")" + docs +
                                                   R"(orders/b3","fields":{}}}]})");
    const auto commit = curl(json_request("POST", body, base, shell_docs(fw) + ":commit"));
    CHECK(commit.status == 200);
    CHECK(emulator_get(fw.options().project, "orders/b3").status == 200);
  }
  SECTION("batchGet: one forbidden document refuses both") {
    const auto body = dir.write(
        "get.json", R"({"documents":[")" + docs + R"(orders/b1",")" + docs + R"(payments/b2"]})");
    const auto get = curl(json_request("POST", body, base, shell_docs(fw) + ":batchGet"));
    CHECK(get.status == 403);
    CHECK_THAT(get.body, !Catch::Contains("S3CRET"));
    CHECK_THAT(get.body, !Catch::Contains("order-one"));
  }
  SECTION("runQuery: a forbidden collection is refused, an allowed one streams back") {
    const auto forbidden =
        dir.write("payments.json", R"({"structuredQuery":{"from":[{"collectionId":"payments"}]}})");
    const auto refused = curl(json_request("POST", forbidden, base, shell_docs(fw) + ":runQuery"));
    CHECK(refused.status == 403);
    CHECK_THAT(refused.body, !Catch::Contains("S3CRET"));
    const auto allowed =
        dir.write("orders.json", R"({"structuredQuery":{"from":[{"collectionId":"orders"}]}})");
    const auto query = curl(json_request("POST", allowed, base, shell_docs(fw) + ":runQuery"));
    INFO(query.head);
    CHECK(query.status == 200);
    CHECK(query.version == "2");
    CHECK_THAT(query.body, Catch::Contains("order-one"));
    check_no_connection_specific_fields(query.head);
  }
}

TEST_CASE("rest over HTTP/2: malformed requests (RFC 9113) are refused and never forwarded") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string commit =
      R"({"writes":[{"update":{"name":")" + fw.document_name("orders/m1") + R"(","fields":{}}}]})";
  GrpcCallSpec spec;
  spec.path = fw.documents() + ":commit";
  spec.content_type = "application/json";
  spec.raw_body = commit;

  // The control: the same request, well formed, is forwarded (so the
  // recording below can see one).
  {
    auto control = spec;
    control.metadata = {{"content-length", std::to_string(commit.size())}};
    const auto forwarded = grpc_call(fw.port(), control);
    INFO(forwarded.transport_error << forwarded.body);
    REQUIRE(forwarded.header(":status") == "200");
    REQUIRE(upstream.requests().size() == 1);
  }

  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> cases{
      {"content-length below the DATA", {"content-length", "5"}},
      {"content-length above the DATA", {"content-length", "500"}},
      {"connection", {"connection", "keep-alive"}},
      {"keep-alive", {"keep-alive", "timeout=5"}},
      {"proxy-connection", {"proxy-connection", "keep-alive"}},
      {"transfer-encoding", {"transfer-encoding", "chunked"}},
      {"upgrade", {"upgrade", "h2c"}},
      {"te other than trailers", {"te", "gzip"}},
  };
  for (const auto& [name, field] : cases) {
    CAPTURE(name);
    auto malformed = spec;
    malformed.metadata = {field};
    malformed.timeout = std::chrono::seconds(5);
    const auto refused = grpc_call(fw.port(), malformed);
    INFO(refused.transport_error << " status " << refused.header(":status"));
    // A stream error (RST_STREAM) or a 400: never an answer from upstream.
    CHECK((!refused.transport_error.empty() || refused.header(":status") == "400"));
  }
  CHECK(upstream.requests().size() == 1);  // only the control
}

TEST_CASE("rest over HTTP/2: a caller that may write but not read gets the write's answer cut") {
  TempDir dir;
  FirewardenInstance fw(write_only_caller(dir));
  const auto body = dir.write("order.json", kOrderFields);
  const auto cut = curl(json_request("PATCH", body, h2c(fw), shell_docs(fw) + "/orders/c1"));
  INFO(cut.head << cut.body);
  REQUIRE(cut.status == 200);
  CHECK(cut.version == "2");
  CHECK_THAT(cut.body, Catch::Contains(fw.document_name("orders/c1")));
  CHECK_THAT(cut.body, !Catch::Contains("integerValue"));  // the fields are gone
  CHECK_THAT(cut.head, Catch::Contains("content-length: " + std::to_string(cut.body.size())));
  // The write itself happened.
  CHECK_THAT(emulator_get(fw.options().project, "orders/c1").body, Catch::Contains("total"));
}

TEST_CASE("rest over HTTP/2: REST requests and a gRPC call share one connection") {
  FirewardenInstance fw;  // fixed: the orders namespace, which may not write payments
  raw::RawConnection connection(fw.port());
  REQUIRE(connection.open());
  // A gRPC Commit writes orders/h2-mixed ...
  REQUIRE(
      connection.send(raw::grpc_call_frames(1, "Commit", commit_update(fw, "orders/h2-mixed"))));
  const auto committed = answers(connection, 1);
  REQUIRE(committed.count(1) == 1);
  CHECK(field(committed.at(1), ":status") == "200");
  CHECK(field(committed.at(1), "grpc-status") == "0");
  // ... a REST read on the same connection sees it, and a REST write the
  // policy denies gets its 403 there and reaches nothing.
  const std::string denied_path = fw.documents() + "/payments/h2-mixed";
  REQUIRE(connection.send(raw::frame(raw::kHeaders,
                                     static_cast<std::uint8_t>(raw::kEndHeaders | raw::kEndStream),
                                     3, raw::request_block(fw.documents() + "/orders/h2-mixed")) +
                          raw::frame(raw::kHeaders, raw::kEndHeaders, 5,
                                     raw::request_block(denied_path, "PATCH") +
                                         raw::literal("content-type", "application/json")) +
                          raw::frame(raw::kData, raw::kEndStream, 5, kOrderFields)));
  const auto rest = answers(connection, 2);
  REQUIRE(rest.count(3) == 1);
  REQUIRE(rest.count(5) == 1);
  CHECK(field(rest.at(3), ":status") == "200");
  CHECK(field(rest.at(5), ":status") == "403");
  CHECK(emulator_get(fw.options().project, "payments/h2-mixed").status == 404);
  const auto lines = access_lines(fw, "rest", 2);
  CHECK(lines.size() == 2);
  CHECK(access_lines(fw, "grpc", 1).size() == 1);
}
