// About 400 lines: Listen and Write share the access-line helpers (a
// stream's lines, its metrics), so they stay in one file.
//
// Listen and Write streams through firewarden against the real emulator,
// message by message: an allowed target gets its snapshot and later
// changes, a denied one gets REMOVE with PERMISSION_DENIED and never
// reaches the emulator while the stream's other targets go on; a policy
// reload removes a target that became denied; a Write stream forwards
// allowed writes and ends at a denied one; limits end what they bound.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "firewarden/firestore/proto_writer.hpp"
#include "support/admin_views.hpp"
#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"
#include "support/listen_responses.hpp"

using namespace firewarden::testing;
using firewarden::firestore::protobuf::ProtoWriter;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string kOrdersApi = "spiffe://cluster.local/ns/orders/sa/orders-api";

// ListenRequest{database, add_target: Target{documents: {documents: [...]}, target_id}}
std::string add_documents_target(const FirewardenInstance& fw, const std::string& path,
                                 std::int32_t id) {
  ProtoWriter documents;
  documents.string(2, fw.document_name(path));
  ProtoWriter target;
  target.message(3, documents).int32(5, id);
  return ProtoWriter().string(1, database(fw)).message(2, target).bytes();
}

std::string remove_target(const FirewardenInstance& fw, std::int32_t id) {
  return ProtoWriter().string(1, database(fw)).int32(3, id).bytes();
}

// The access lines of Listen and Write streams, once `count` are there.
std::vector<nlohmann::json> stream_lines(const FirewardenInstance& fw, std::size_t count) {
  std::vector<nlohmann::json> lines;
  for (int attempt = 0; attempt < 50; ++attempt) {
    lines.clear();
    std::istringstream log(fw.access_log());
    for (std::string line; std::getline(log, line);) {
      if (line.empty() || line.front() != '{') continue;
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() &&
          (json.value("method", "") == "Listen" || json.value("method", "") == "Write")) {
        lines.push_back(json);
      }
    }
    if (lines.size() >= count) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return lines;
}

// A metric once it has `expected` (the stream's last messages may still be
// being decided when the test's last answer arrived); its value after 5 s
// otherwise.
double metric_once(const FirewardenInstance& fw, const std::string& name,
                   const prometheus::Labels& labels, double expected) {
  double value = -1;
  for (int attempt = 0; attempt < 50; ++attempt) {
    value = metric_value(fw, name, labels);
    if (value == expected) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return value;
}

std::optional<nlohmann::json> line_for(const std::vector<nlohmann::json>& lines,
                                       const std::string& stream_message) {
  for (const auto& line : lines) {
    if (line["stream_message"] == stream_message) return line;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("listen: an allowed target gets its snapshot and changes, a denied one gets REMOVE 7") {
  FirewardenInstance fw;  // fixed: orders namespace; payments is denied
  const auto& project = fw.options().project;
  emulator_put(project, "orders/a1", R"({"n":{"integerValue":"1"}})");
  emulator_put(project, "payments/p1", R"({"n":{"integerValue":"1"}})");
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  CHECK(wait_for(stream, document_named(fw.document_name("orders/a1"))));
  REQUIRE(wait_for(stream, current(1)));

  REQUIRE(stream.send(add_query_target(fw, "payments", 2)));
  const auto denied = wait_for(stream, removed(2));
  REQUIRE(denied);
  CHECK(denied->cause_code == 7);
  CHECK_THAT(denied->cause_message, Catch::Contains(kOrdersApi));
  CHECK_THAT(denied->cause_message, Catch::Contains("payments"));

  // The allowed target keeps working on the same stream, and nothing of
  // payments ever arrives (the emulator never saw that target).
  emulator_put(project, "orders/a2", R"({"n":{"integerValue":"2"}})");
  const auto change = wait_for(stream, [&](const ListenEvent& event) {
    return event.bytes.find(fw.document_name("payments/p1")) != std::string::npos ||
           document_named(fw.document_name("orders/a2"))(event);
  });
  REQUIRE(change);
  CHECK(change->bytes.find(fw.document_name("orders/a2")) != std::string::npos);

  REQUIRE(stream.half_close());
  CHECK(stream.wait_status(seconds(10)) == 0);
  const auto lines = stream_lines(fw, 3);
  const auto added = line_for(lines, "add_target 1");
  const auto refused = line_for(lines, "add_target 2");
  REQUIRE(added);
  REQUIRE(refused);
  CHECK((*added)["decision"] == "allow");
  CHECK_FALSE((*added)["upstream_reused"].is_null());
  CHECK((*refused)["decision"] == "deny");
  CHECK((*refused)["status"] == 7);
  CHECK((*refused)["upstream_reused"].is_null());
  CHECK((*refused)["request_id"] == (*added)["request_id"]);
  CHECK((*refused)["required"][0]["collection"] == "payments");
  CHECK(metric_value(fw, "firewarden_stream_messages_total",
                     {{"method", "Listen"}, {"decision", "deny"}}) == 1);
}

TEST_CASE("listen: a documents target is decided per document") {
  FirewardenInstance fw;
  emulator_put(fw.options().project, "orders/d1", R"({"n":{"integerValue":"1"}})");
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_documents_target(fw, "orders/d1", 7)));
  CHECK(wait_for(stream, document_named(fw.document_name("orders/d1"))));
  REQUIRE(stream.send(add_documents_target(fw, "payments/d2", 8)));
  const auto denied = wait_for(stream, removed(8));
  REQUIRE(denied);
  CHECK(denied->cause_code == 7);
}

TEST_CASE("listen: a denied target with target_id 0 ends the stream with PERMISSION_DENIED") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "payments", 0)));
  const auto status = stream.wait_status(seconds(10));
  INFO(stream.transport_error());
  CHECK(status == 7);
  CHECK_THAT(stream.status_message(), Catch::Contains("payments"));
}

TEST_CASE("listen: a remove of an id never added is not forwarded, the stream goes on") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(remove_target(fw, 99)));
  REQUIRE(stream.send(add_query_target(fw, "orders", 3)));
  CHECK(wait_for(stream, current(3)));
  const auto lines = stream_lines(fw, 2);
  const auto ignored = line_for(lines, "remove_target 99");
  REQUIRE(ignored);
  CHECK((*ignored)["decision"] == "error");
  CHECK((*ignored)["upstream_reused"].is_null());
}

TEST_CASE("listen: an add that reuses a live target id ends the stream with INVALID_ARGUMENT") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 4)));
  REQUIRE(wait_for(stream, current(4)));
  REQUIRE(stream.send(add_query_target(fw, "orders", 4)));
  CHECK(stream.wait_status(seconds(10)) == 3);
  CHECK_THAT(stream.status_message(), Catch::Contains("already live"));
}

TEST_CASE("listen: an unreadable message ends the stream with INVALID_ARGUMENT") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(ProtoWriter().string(1, database(fw)).varint(99, 1).bytes()));
  CHECK(stream.wait_status(seconds(10)) == 3);
}

TEST_CASE("listen: a compressed or unframed message ends the stream as on a unary call") {
  // Streams and unary calls refuse framing with the same codes and words.
  struct Case {
    std::string name;
    std::string bytes;
    int status;
    std::string message;
  };
  FirewardenInstance fw;
  const std::string target = add_query_target(fw, "orders", 1);
  const std::vector<Case> cases{
      {"compressed flag", std::string("\1\0\0\0", 4) + static_cast<char>(target.size()) + target, 3,
       "compressed gRPC messages are not accepted"},
      {"unknown flag", std::string("\7\0\0\0", 4) + static_cast<char>(target.size()) + target, 3,
       "request body is not gRPC message framing"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      REQUIRE(target.size() < 128);
      GrpcBidiCall stream(fw.port(), "Listen");
      REQUIRE(stream.send_raw(c.bytes));
      CHECK(stream.wait_status(seconds(10)) == c.status);
      CHECK(stream.status_message() == c.message);
      // The message was never decided, so nothing was forwarded (no
      // series, -1, or zero).
      CHECK(metric_value(fw, "firewarden_stream_messages_total",
                         {{"method", "Listen"}, {"decision", "allow"}}) <= 0);
    }
  }
}

TEST_CASE("listen: targets beyond max_listen_targets get REMOVE with RESOURCE_EXHAUSTED") {
  FirewardenInstance fw({.limits = "{shutdown_grace: 3s, http2: {max_listen_targets: 2}}"});
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  REQUIRE(stream.send(add_query_target(fw, "orders", 2)));
  REQUIRE(stream.send(add_query_target(fw, "orders", 3)));
  const auto refused = wait_for(stream, removed(3));
  REQUIRE(refused);
  CHECK(refused->cause_code == 8);
  // A removed target makes room.
  REQUIRE(stream.send(remove_target(fw, 1)));
  REQUIRE(stream.send(add_query_target(fw, "orders", 3)));
  CHECK(wait_for(stream, current(3)));
  CHECK(metric_once(fw, "firewarden_listen_targets", {}, 2) == 2);
}

TEST_CASE("listen: thousands of add and remove pairs take bounded time and memory") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  const double rss_before = metric_value(fw, "process_resident_memory_bytes");
  const auto started = std::chrono::steady_clock::now();
  constexpr int kPairs = 2000;
  for (int id = 1; id <= kPairs; ++id) {
    // Every other pair is denied: answered by firewarden, never forwarded.
    REQUIRE(stream.send(add_query_target(fw, id % 2 == 0 ? "payments" : "orders", id)));
    REQUIRE(stream.send(remove_target(fw, id)));
  }
  // The last add was denied: its REMOVE comes after everything before it.
  REQUIRE(wait_for(stream, removed(kPairs), milliseconds(60000)));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  WARN(kPairs << " add/remove pairs in "
              << std::chrono::duration_cast<milliseconds>(elapsed).count() << " ms");
  CHECK(elapsed < seconds(60));
  const double rss_after = metric_value(fw, "process_resident_memory_bytes");
  if (!kSanitizedBuild) CHECK(rss_after - rss_before < 32.0 * 1024 * 1024);
  CHECK(metric_once(fw, "firewarden_stream_messages_total",
                    {{"method", "Listen"}, {"decision", "deny"}}, kPairs / 2) == kPairs / 2);
  // Allowed adds and removes of live targets; removes of denied ones are errors.
  CHECK(metric_once(fw, "firewarden_stream_messages_total",
                    {{"method", "Listen"}, {"decision", "allow"}}, kPairs) == kPairs);
  CHECK(metric_once(fw, "firewarden_stream_messages_total",
                    {{"method", "Listen"}, {"decision", "error"}}, kPairs / 2) == kPairs / 2);
  CHECK(metric_once(fw, "firewarden_listen_targets", {}, 0) == 0);
}

TEST_CASE("listen: a policy reload removes a target that became denied, others go on") {
  const std::string both =
      "version: 1\nrules:\n  - name: orders-read\n    subjects: {namespaces: [orders]}\n"
      "    collections: [orders, payments]\n    actions: [read]\n";
  const std::string orders_only =
      "version: 1\nrules:\n  - name: orders-read\n    subjects: {namespaces: [orders]}\n"
      "    collections: [orders]\n    actions: [read]\n";
  TempDir dir;
  FirewardenInstance fw({.policy_file = dir.write("policy.yaml", both)});
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  REQUIRE(stream.send(add_query_target(fw, "payments", 2)));
  REQUIRE(wait_for(stream, current(2)));

  dir.write("policy.yaml", orders_only);
  const auto revoked = wait_for(stream, removed(2), milliseconds(5000));
  REQUIRE(revoked);
  CHECK(revoked->cause_code == 7);
  CHECK_THAT(revoked->cause_message, Catch::Contains("payments"));

  emulator_put(fw.options().project, "orders/r1", R"({"n":{"integerValue":"1"}})");
  CHECK(wait_for(stream, document_named(fw.document_name("orders/r1"))));
  const auto lines = stream_lines(fw, 3);
  const auto line = line_for(lines, "reload remove_target 2");
  REQUIRE(line);
  CHECK((*line)["decision"] == "deny");
  CHECK(metric_once(fw, "firewarden_listen_targets", {}, 1) == 1);
}

TEST_CASE("listen: a stream ends with UNAVAILABLE after max_stream_duration") {
  FirewardenInstance fw({.limits = "{shutdown_grace: 3s, http2: {max_stream_duration: 1s}}"});
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  REQUIRE(wait_for(stream, current(1)));
  const auto started = std::chrono::steady_clock::now();
  CHECK(stream.wait_status(seconds(10)) == 14);
  CHECK(std::chrono::steady_clock::now() - started < seconds(3));
  CHECK_THAT(stream.status_message(), Catch::Contains("max_stream_duration"));
}

TEST_CASE("listen: while draining, a stream ends with UNAVAILABLE within shutdown_grace") {
  FirewardenInstance fw;  // shutdown_grace: 3s
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  REQUIRE(wait_for(stream, current(1)));
  std::thread stopper([&] { fw.stop(); });
  const auto status = stream.wait_status(seconds(10));
  stopper.join();
  CHECK(status == 14);
  CHECK_THAT(stream.status_message(), Catch::Contains("shutting down"));
}

TEST_CASE("listen: a client that resets its stream ends it, upstream too") {
  FirewardenInstance fw;
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  REQUIRE(wait_for(stream, current(1)));
  stream.reset();
  const auto lines = stream_lines(fw, 2);
  REQUIRE(lines.size() == 2);
  const auto& end = lines.back();
  CHECK(end["stream_message"].is_null());
  CHECK(end["status"] == 1);
  // The test client resets the stream and then drops its connection: the
  // stream's end names whichever firewarden saw first, the RST_STREAM or the
  // failed write to the closed connection.
  const auto error = end["error"].get<std::string>();
  INFO(error);
  CHECK((error.find("client reset the stream") != std::string::npos ||
         error.find("client write") != std::string::npos));
  CHECK(metric_once(fw, "firewarden_listen_targets", {}, 0) == 0);
}

TEST_CASE("listen: a stream whose only target was denied ends as a deny, never forwarded") {
  FirewardenInstance fw;  // fixed: orders, which may not read payments
  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "payments", 1)));
  REQUIRE(wait_for(stream, removed(1)));
  REQUIRE(stream.half_close());  // what an SDK does once its listener failed
  CHECK(stream.wait_status(seconds(10)) == 0);
  const auto lines = stream_lines(fw, 2);
  REQUIRE(lines.size() == 2);
  const auto& end = lines.back();
  CHECK(end["stream_message"].is_null());
  CHECK(end["decision"] == "deny");
  CHECK(end["upstream_status"].is_null());
  CHECK(metric_value(
            fw, "firewarden_requests_total",
            {{"method", "Listen"}, {"decision", "deny"}, {"code", "0"}, {"protocol", "grpc"}}) ==
        1);
}

TEST_CASE("listen: a client that never reads stalls its stream, memory stays bounded") {
  FirewardenInstance fw;
  const auto& project = fw.options().project;
  const std::string big(100 * 1024, 'x');
  for (int i = 0; i < 60; ++i) {  // a 6 MB snapshot
    emulator_put(project, "orders/big" + std::to_string(i),
                 R"({"blob":{"stringValue":")" + big + R"("}})");
  }
  const double rss_before = metric_value(fw, "process_resident_memory_bytes");
  GrpcBidiCall stalled(fw.port(), "Listen", {}, false);
  REQUIRE(stalled.send(add_query_target(fw, "orders", 1)));
  std::this_thread::sleep_for(seconds(2));
  const double rss_after = metric_value(fw, "process_resident_memory_bytes");
  if (!kSanitizedBuild) CHECK(rss_after - rss_before < 3.0 * 1024 * 1024);
  // Other streams are served meanwhile.
  GrpcBidiCall other(fw.port(), "Listen");
  REQUIRE(other.send(add_documents_target(fw, "orders/big0", 2)));
  CHECK(wait_for(other, current(2)));
}

// ---------------------------------------------------------------------------
// Write
// ---------------------------------------------------------------------------

namespace {

// WriteRequest{database, stream_token?, writes: [Write{update: Document{name, fields}}]}
std::string write_request(const FirewardenInstance& fw, const std::string& token,
                          const std::string& path) {
  ProtoWriter value;
  value.varint(2, 3);  // Value.integer_value
  ProtoWriter entry;
  entry.string(1, "n").message(2, value);
  ProtoWriter document;
  document.string(1, fw.document_name(path)).message(2, entry);
  ProtoWriter write;
  write.message(1, document);
  ProtoWriter request;
  request.string(1, database(fw)).message(3, write).string(4, token);
  return request.bytes();
}

// WriteResponse.stream_token (field 2).
std::string stream_token(const std::string& response) {
  for (const auto& [number, field] : fields_of(response)) {
    if (number == 2) return std::string(field.bytes);
  }
  return {};
}

}  // namespace

TEST_CASE("write stream: handshake, an allowed write reaches the emulator, a denied one ends it") {
  FirewardenInstance fw;
  const auto& project = fw.options().project;
  GrpcBidiCall stream(fw.port(), "Write");
  REQUIRE(stream.send(ProtoWriter().string(1, database(fw)).bytes()));  // handshake
  const auto handshake = stream.next_message(seconds(10));
  REQUIRE(handshake);
  const std::string token = stream_token(*handshake);
  REQUIRE_FALSE(token.empty());

  REQUIRE(stream.send(write_request(fw, token, "orders/w1")));
  const auto written = stream.next_message(seconds(10));
  REQUIRE(written);
  CHECK(emulator_get(project, "orders/w1").status == 200);

  stream.send(write_request(fw, stream_token(*written), "payments/w2"));
  CHECK(stream.wait_status(seconds(10)) == 7);
  CHECK_THAT(stream.status_message(), Catch::Contains("payments"));
  CHECK(emulator_get(project, "payments/w2").status == 404);
  const auto lines = stream_lines(fw, 4);
  std::size_t denied = 0;
  for (const auto& line : lines) {
    if (line["stream_message"] == "write" && line["decision"] == "deny") {
      ++denied;
      CHECK(line["upstream_reused"].is_null());
    }
  }
  CHECK(denied == 1);
}
