// gRPC through firewarden against the real emulator (h2c prior knowledge, as
// every gRPC SDK speaks under FIRESTORE_EMULATOR_HOST): allowed calls reach
// it, denied and unreadable ones get their gRPC status and leave it
// unchanged (checked directly over REST), server-streaming refusals send
// headers before trailers, and every call leaves one access line with the
// fields a REST request's has (null when absent), and is a hop of the
// caller's trace.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../unit/net/http2_test_server.hpp"
#include "firewarden/firestore/proto_writer.hpp"
#include "firewarden/net/header_fields.hpp"
#include "support/file_facts.hpp"
#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"

using namespace firewarden::testing;
using firewarden::firestore::protobuf::ProtoWriter;

namespace {

const std::string kOrdersApi = "spiffe://cluster.local/ns/orders/sa/orders-api";

// The access lines of the calls, by method.
std::vector<nlohmann::json> grpc_lines(const FirewardenInstance& fw) {
  std::vector<nlohmann::json> lines;
  std::istringstream log(fw.access_log());
  for (std::string line; std::getline(log, line);) {
    if (line.empty() || line.front() != '{') continue;
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("protocol", "") == "grpc") lines.push_back(json);
  }
  return lines;
}

// The access line whose request_id is `id` (waits for it, bounded).
nlohmann::json grpc_line(const FirewardenInstance& fw, const std::string& id) {
  std::optional<nlohmann::json> found;
  const bool seen = eventually(
      [&] {
        for (const auto& line : grpc_lines(fw)) {
          if (line.value("request_id", "") == id) found = line;
        }
        return found.has_value();
      },
      std::chrono::seconds(5));
  INFO("access log: " << fw.access_log());
  REQUIRE(seen);
  return *found;
}

bool lower_hex(const nlohmann::json& value, std::size_t size) {
  if (!value.is_string()) return false;
  const auto text = value.get<std::string>();
  return text.size() == size && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("grpc: an allowed Commit writes to the emulator and GetDocument reads it back") {
  FirewardenInstance fw;  // fixed: orders namespace
  const auto commit = grpc_call(fw.port(), {"Commit", commit_update(fw, "orders/g1")});
  INFO(commit.transport_error << " " << commit.message);
  REQUIRE(commit.status == 0);
  CHECK(commit.messages.size() == 1);
  CHECK(emulator_get(fw.options().project, "orders/g1").status == 200);

  const auto get = grpc_call(fw.port(), {"GetDocument", get_document(fw, "orders/g1")});
  REQUIRE(get.status == 0);
  REQUIRE(get.messages.size() == 1);
  CHECK_THAT(get.messages[0], Catch::Contains(fw.document_name("orders/g1")));
  CHECK_THAT(get.messages[0], Catch::Contains("total"));
}

TEST_CASE("grpc: a denied Commit is PERMISSION_DENIED and nothing reaches the emulator") {
  FirewardenInstance fw;
  const auto denied = grpc_call(fw.port(), {"Commit", commit_update(fw, "payments/p1")});
  INFO(denied.transport_error);
  CHECK(denied.status == 7);
  CHECK(denied.trailers_only);  // unary: a trailers-only answer
  CHECK_THAT(denied.message, Catch::Contains(kOrdersApi));
  CHECK_THAT(denied.message, Catch::Contains("payments"));
  CHECK(denied.messages.empty());
  CHECK(emulator_get(fw.options().project, "payments/p1").status == 404);
}

TEST_CASE("grpc: a denied RunQuery gets response headers first, then PERMISSION_DENIED") {
  FirewardenInstance fw;
  const auto denied = grpc_call(fw.port(), {"RunQuery", run_query(fw, "payments")});
  INFO(denied.transport_error);
  CHECK(denied.status == 7);
  CHECK_FALSE(denied.trailers_only);
  CHECK(denied.header(":status") == "200");
  CHECK(denied.header("content-type") == "application/grpc");
}

TEST_CASE("grpc: an allowed RunQuery streams the collection's documents") {
  FirewardenInstance fw;
  emulator_put(fw.options().project, "orders/q1", R"({"total":{"integerValue":"1"}})");
  emulator_put(fw.options().project, "orders/q2", R"({"total":{"integerValue":"2"}})");
  const auto query = grpc_call(fw.port(), {"RunQuery", run_query(fw, "orders")});
  INFO(query.transport_error << " " << query.message);
  REQUIRE(query.status == 0);
  std::string all;
  for (const auto& message : query.messages) all += message;
  CHECK_THAT(all, Catch::Contains(fw.document_name("orders/q1")));
  CHECK_THAT(all, Catch::Contains(fw.document_name("orders/q2")));
}

TEST_CASE("grpc: unreadable calls are refused and nothing reaches the emulator") {
  FirewardenInstance fw;
  const std::string commit = commit_update(fw, "orders/bad");
  const std::string framed_commit =
      std::string("\0\0\0\0", 4) + static_cast<char>(commit.size()) + commit;
  struct Case {
    std::string name;
    GrpcCallSpec spec;
    int status;
  };
  std::vector<Case> cases{
      {"database given twice",
       {"Commit", ProtoWriter().string(1, database(fw)).raw(commit).bytes()},
       3},
      {"unknown field", {"Commit", ProtoWriter().raw(commit).varint(99, 1).bytes()}, 3},
      {"compressed message flag",
       {"Commit", "", {}, std::string("\1\0\0\0", 4) + static_cast<char>(commit.size()) + commit},
       3},
      {"two request messages on a unary call",
       {"Commit", "", {}, framed_commit + framed_commit},
       3},
      {"truncated message", {"Commit", "", {}, framed_commit.substr(0, 9)}, 3},
      {"grpc-encoding gzip", {"Commit", commit, {{"grpc-encoding", "gzip"}}}, 3},
      {"malformed grpc-timeout", {"Commit", commit, {{"grpc-timeout", "10x"}}}, 3},
      {"a Listen message without a target",
       {"Listen", ProtoWriter().string(1, database(fw)).bytes()},
       3},
      {"ExecutePipeline", {"ExecutePipeline", ""}, 12},
      {"another service",
       {"Commit", commit, {}, std::nullopt, "/google.datastore.v1.Datastore/Commit"},
       12},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto refused = grpc_call(fw.port(), c.spec);
    INFO(refused.transport_error << " " << refused.message);
    CHECK(refused.status == c.status);
  }
  CHECK(emulator_get(fw.options().project, "orders/bad").status == 404);
}

TEST_CASE("grpc: a message over max_body_bytes is RESOURCE_EXHAUSTED") {
  FirewardenInstance fw({.limits = "{shutdown_grace: 3s, max_body_bytes: 1KiB}"});
  ProtoWriter big;
  big.string(1, database(fw));
  const auto refused = grpc_call(fw.port(), {"Commit", big.raw(std::string(2048, '\0')).bytes()});
  CHECK(refused.status == 8);
}

TEST_CASE("grpc: xfcc identity is read per call, from trusted peers only") {
  FirewardenInstance fw({.mode = "xfcc"});
  const std::string orders =
      "By=spiffe://cluster.local/ns/firewarden/sa/firewarden;URI=" + kOrdersApi;
  const auto allowed = grpc_call(
      fw.port(), {"Commit", commit_update(fw, "orders/x1"), {{"x-forwarded-client-cert", orders}}});
  INFO(allowed.transport_error << " " << allowed.message);
  CHECK(allowed.status == 0);
  const auto anonymous = grpc_call(fw.port(), {"Commit", commit_update(fw, "orders/x2")});
  CHECK(anonymous.status == 16);
  CHECK(emulator_get(fw.options().project, "orders/x1").status == 200);
  CHECK(emulator_get(fw.options().project, "orders/x2").status == 404);
}

TEST_CASE("grpc: each call leaves an access line and is counted with protocol grpc") {
  FirewardenInstance fw;
  REQUIRE(grpc_call(fw.port(), {"Commit", commit_update(fw, "orders/l1")}).status == 0);
  REQUIRE(grpc_call(fw.port(), {"Commit", commit_update(fw, "payments/l2")}).status == 7);
  std::vector<nlohmann::json> lines;
  for (int attempt = 0; attempt < 50 && lines.size() < 2; ++attempt) {
    lines = grpc_lines(fw);
    if (lines.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["method"] == "Commit");
  CHECK(lines[0]["decision"] == "allow");
  CHECK(lines[0]["status"] == 0);
  CHECK(lines[0]["upstream_status"] == 0);
  CHECK(lines[1]["decision"] == "deny");
  CHECK(lines[1]["status"] == 7);
  CHECK(lines[1]["upstream_status"].is_null());
  const auto metrics = fw.admin("/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("firewarden_requests_total{method=\"Commit\",decision="
                                      "\"deny\",code=\"7\",protocol=\"grpc\"} 1"));
}

TEST_CASE("grpc: the HTTP/1.1 REST path keeps working on the same port") {
  FirewardenInstance fw;
  REQUIRE(grpc_call(fw.port(), {"Commit", commit_update(fw, "orders/r1")}).status == 0);
  const auto read = fw.request({"GET", fw.documents() + "/orders/r1", {}, {}});
  CHECK(read.status == 200);
}

TEST_CASE("grpc: a caller that may write but not read gets UpdateDocument's answer cut") {
  TempDir dir;
  FirewardenInstance fw(write_only_caller(dir));
  const std::string update =
      ProtoWriter().message(1, document(fw.document_name("orders/c1"))).bytes();
  const auto cut = grpc_call(fw.port(), {"UpdateDocument", update});
  INFO(cut.transport_error << " " << cut.message);
  REQUIRE(cut.status == 0);
  REQUIRE(cut.messages.size() == 1);
  CHECK_THAT(cut.messages[0], Catch::Contains(fw.document_name("orders/c1")));
  CHECK_THAT(cut.messages[0], !Catch::Contains("total"));  // the fields are gone
  // The write itself happened.
  CHECK_THAT(emulator_get(fw.options().project, "orders/c1").body, Catch::Contains("total"));
}

TEST_CASE("grpc: the access line says who did what to which document, null where nothing is") {
  FirewardenInstance fw;  // fixed: orders namespace, plaintext
  REQUIRE(grpc_call(fw.port(),
                    {"Commit",
                     commit_update(fw, "orders/w1"),
                     {{"user-agent", "orders-grpc/3.1"}, {"x-request-id", "grpc-line-allowed"}}})
              .status == 0);
  REQUIRE(grpc_call(
              fw.port(),
              {"Commit", commit_update(fw, "payments/w2"), {{"x-request-id", "grpc-line-denied"}}})
              .status == 7);

  const auto allowed = grpc_line(fw, "grpc-line-allowed");
  CAPTURE(allowed.dump());
  CHECK(allowed["protocol"] == "grpc");
  CHECK(allowed["http_method"] == "POST");
  CHECK(allowed["method"] == "Commit");
  CHECK(allowed["document_paths"] == nlohmann::json::array({"orders/w1"}));
  CHECK(allowed["user_agent"] == "orders-grpc/3.1");
  CHECK(allowed["identity"] == kOrdersApi);
  CHECK(allowed["upstream_status"] == 0);
  CHECK(allowed["upstream_reused"].is_boolean());
  CHECK(lower_hex(allowed["trace_id"], 32));
  CHECK(lower_hex(allowed["span_id"], 16));
  CHECK(allowed["parent_span_id"].is_null());           // the caller sent no trace
  CHECK(allowed["peer_certificate_serial"].is_null());  // no client certificate
  CHECK(allowed["peer_certificate_sha256"].is_null());
  CHECK(allowed["error"].is_null());

  const auto denied = grpc_line(fw, "grpc-line-denied");
  CAPTURE(denied.dump());
  CHECK(denied["decision"] == "deny");
  CHECK(denied["document_paths"] == nlohmann::json::array({"payments/w2"}));
  CHECK(denied["user_agent"].is_null());
  CHECK(denied["upstream_status"].is_null());
  CHECK(denied["upstream_reused"].is_null());
  CHECK(denied["upstream_ms"].is_null());
  CHECK(denied["rule"].is_null());  // default deny
  CHECK(denied["error"].is_string());
  for (const auto* line : {&allowed, &denied}) {
    for (const auto& [key, value] : line->items()) {
      CAPTURE(key);
      CHECK(value != "");  // a field without a value is null, never ""
    }
  }
}

TEST_CASE("grpc: over mTLS the access line names the client certificate") {
  FirewardenInstance fw({.mode = "mtls"});
  REQUIRE(grpc_call(fw.port(),
                    {"GetDocument", get_document(fw, "orders/m1"), {{"x-request-id", "grpc-mtls"}}},
                    client_tls("orders"))
              .status == 5);  // NOT_FOUND, from the emulator
  const auto line = grpc_line(fw, "grpc-mtls");
  CAPTURE(line.dump());
  CHECK(line["peer_certificate_sha256"] == certificate_sha256(cert("orders")));
  std::string serial = certificate_serial(cert("orders"));  // upper case, as openssl prints it
  for (char& c : serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(line["peer_certificate_serial"] == serial);
  CHECK(line["document_paths"] == nlohmann::json::array({"orders/m1"}));
}

TEST_CASE("grpc: upstream gets the caller's trace with firewarden's own span") {
  // An upstream that records the headers it receives and resets the stream
  // of a Commit unanswered: the call ends UNAVAILABLE, its headers seen.
  firewarden::transport::test::RunningServer upstream;
  InstanceOptions options;
  options.upstream = "http://127.0.0.1:" + std::to_string(upstream.port());
  FirewardenInstance fw(options);
  const auto sent = [&] { return upstream.handler.last_headers(); };
  // The value a field reached the upstream with; "" when it did not.
  const auto header_value = [](const firewarden::transport::HeaderList& fields,
                               std::string_view name) {
    return std::string(firewarden::transport::field(fields, name).value_or(""));
  };
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";

  SECTION("traceparent, with its tracestate") {
    const auto call =
        grpc_call(fw.port(), {"Commit",
                              commit_update(fw, "orders/t1"),
                              {{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"},
                               {"tracestate", "vendor=abc"},
                               {"x-request-id", "grpc-trace-1"}}});
    INFO(call.transport_error << " " << call.message);
    CHECK(call.status == 14);  // UNAVAILABLE: the upstream reset the stream
    REQUIRE(upstream.handler.streams == 1);
    const std::string traceparent = header_value(sent(), "traceparent");
    REQUIRE(traceparent.size() == 55);
    CHECK(traceparent.starts_with("00-" + trace_id + "-"));
    CHECK(traceparent.ends_with("-01"));  // sampled, as the caller said
    const std::string span = traceparent.substr(36, 16);
    CHECK(span != "00f067aa0ba902b7");  // a new span, ours
    CHECK(header_value(sent(), "x-cloud-trace-context") ==
          trace_id + "/" + std::to_string(std::stoull(span, nullptr, 16)) + ";o=1");
    CHECK(header_value(sent(), "tracestate") == "vendor=abc");
    CHECK(header_value(sent(), "x-request-id") == "grpc-trace-1");
    const auto line = grpc_line(fw, "grpc-trace-1");
    CHECK(line["trace_id"] == trace_id);
    CHECK(line["span_id"] == span);
    CHECK(line["parent_span_id"] == "00f067aa0ba902b7");
  }
  SECTION("X-Cloud-Trace-Context alone") {
    const auto call =
        grpc_call(fw.port(), {"Commit",
                              commit_update(fw, "orders/t2"),
                              {{"x-cloud-trace-context", trace_id + "/13235353014750950193;o=1"},
                               {"tracestate", "vendor=abc"},
                               {"x-request-id", "grpc-trace-2"}}});
    INFO(call.transport_error << " " << call.message);
    CHECK(call.status == 14);
    REQUIRE(upstream.handler.streams == 1);
    const std::string traceparent = header_value(sent(), "traceparent");
    REQUIRE(traceparent.size() == 55);
    CHECK(traceparent.starts_with("00-" + trace_id + "-"));
    const std::string span = traceparent.substr(36, 16);
    CHECK(span != "b7ad6b7169203331");  // the caller's span, 13235353014750950193 in hex
    CHECK(header_value(sent(), "x-cloud-trace-context") ==
          trace_id + "/" + std::to_string(std::stoull(span, nullptr, 16)) + ";o=1");
    CHECK(header_value(sent(), "tracestate").empty());  // it belonged to no traceparent
    const auto line = grpc_line(fw, "grpc-trace-2");
    CHECK(line["trace_id"] == trace_id);
    CHECK(line["span_id"] == span);
    CHECK(line["parent_span_id"] == "b7ad6b7169203331");
  }
}
