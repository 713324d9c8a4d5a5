// logging.format: gcp. Access and diagnostic lines carry Cloud Logging's
// structured fields (severity, message, time, httpRequest, trace, spanId)
// and, for access lines, every field of the json line beside them.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "firewarden/telemetry/access_log.hpp"
#include "firewarden/telemetry/logging.hpp"

using namespace firewarden::telemetry;
using Json = nlohmann::json;

namespace {

AccessRecord allowed_commit() {
  AccessRecord record;
  record.request_id = "r1";
  record.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  record.span_id = "00f067aa0ba902b7";
  record.peer = "10.0.0.7:41234";
  record.user_agent = "orders-api/1.0";
  record.identity = "spiffe://cluster.local/ns/orders/sa/api";
  record.http_method = "POST";
  record.method = "commit";
  record.request_url = "/v1/projects/p/databases/(default)/documents:commit";
  record.required = {{"update", "orders"}};
  record.decision = "allow";
  record.status = 200;
  record.upstream_status = 200;
  record.bytes_in = 120;
  record.bytes_out = 4567;
  record.duration_ms = 12.0;
  return record;
}

Json gcp_line(const AccessRecord& record, std::string_view project = "shop-prod") {
  std::string line;
  append_gcp_line(line, record, project);
  CHECK(line.find('\n') == std::string::npos);
  return Json::parse(line);
}

}  // namespace

TEST_CASE("gcp access line: Cloud Logging's fields, then every json field unchanged") {
  const AccessRecord record = allowed_commit();
  const Json line = gcp_line(record);
  CHECK(line["severity"] == "INFO");
  CHECK(line["message"] == "POST commit 200 allow");
  CHECK(line["time"].get<std::string>().ends_with("Z"));
  const Json& http = line.at("httpRequest");
  CHECK(http["requestMethod"] == "POST");
  CHECK(http["requestUrl"] == "/v1/projects/p/databases/(default)/documents:commit");
  CHECK(http["status"] == 200);
  CHECK(http["latency"] == "0.012s");
  CHECK(http["remoteIp"] == "10.0.0.7:41234");
  CHECK(http["userAgent"] == "orders-api/1.0");
  CHECK(http["requestSize"] == "120");
  CHECK(http["responseSize"] == "4567");
  CHECK(line["logging.googleapis.com/trace"] ==
        "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(line["logging.googleapis.com/spanId"] == "00f067aa0ba902b7");

  // The json line's fields, with the same values (time aside).
  Json plain = Json::parse(to_json_line(record));
  for (auto& [key, value] : plain.items()) {
    if (key == "time") continue;
    CAPTURE(key);
    REQUIRE(line.contains(key));
    CHECK(line[key] == value);
  }
  CHECK(line.size() == plain.size() + 5);  // severity, message, httpRequest, trace, spanId
}

TEST_CASE("gcp access line: fields without a value are null") {
  AccessRecord record;  // refused before a request was read
  record.request_id = "r2";
  record.method = "GET";
  record.decision = "error";
  record.status = 400;
  const Json line = gcp_line(record);
  const Json& http = line.at("httpRequest");
  CHECK(http["requestMethod"].is_null());
  CHECK(http["requestUrl"].is_null());
  CHECK(http["userAgent"].is_null());
  CHECK(http["requestSize"] == "0");
  CHECK(line["logging.googleapis.com/trace"].is_null());
  CHECK(line["logging.googleapis.com/spanId"].is_null());
  CHECK(line["message"] == "GET 400 error");
  CHECK(line["trace_id"].is_null());
  CHECK(line["user_agent"].is_null());
}

TEST_CASE("gcp access line: severity follows the outcome") {
  AccessRecord record = allowed_commit();
  CHECK(gcp_access_severity(record) == "INFO");
  record.decision = "deny";  // audit: denied, forwarded, 200
  CHECK(gcp_access_severity(record) == "WARNING");
  record.status = 403;
  CHECK(gcp_access_severity(record) == "WARNING");
  record.decision = "error";
  record.status = 401;
  CHECK(gcp_access_severity(record) == "WARNING");
  record.status = 502;
  CHECK(gcp_access_severity(record) == "ERROR");
  record.decision = "allow";
  record.status = 503;
  CHECK(gcp_access_severity(record) == "ERROR");
}

TEST_CASE("gcp access line: a gRPC call is HTTP 200, its severity follows its gRPC status") {
  AccessRecord record = allowed_commit();
  record.protocol = "grpc";
  record.method = "Commit";
  record.request_url = "/google.firestore.v1.Firestore/Commit";
  record.status = record.upstream_status.emplace(0);  // OK
  Json line = gcp_line(record);
  CHECK(line["severity"] == "INFO");
  CHECK(line["message"] == "POST Commit 0 allow");
  CHECK(line["httpRequest"]["status"] == 200);  // the HTTP status; the gRPC code is `status`
  CHECK(line["status"] == 0);

  record.decision = "deny";  // PERMISSION_DENIED, answered with :status 200 all the same
  record.status = 7;
  record.upstream_status.reset();
  line = gcp_line(record);
  CHECK(line["severity"] == "WARNING");
  CHECK(line["httpRequest"]["status"] == 200);
  CHECK(line["status"] == 7);
  record.decision = "error";
  for (const unsigned client_error : {1U, 3U, 5U, 8U, 9U, 16U}) {
    CAPTURE(client_error);
    record.status = client_error;
    CHECK(gcp_access_severity(record) == "WARNING");
  }
  // The codes Google maps to a 5xx: UNKNOWN, DEADLINE_EXCEEDED,
  // UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
  for (const unsigned server_error : {2U, 4U, 12U, 13U, 14U, 15U}) {
    CAPTURE(server_error);
    record.status = server_error;
    CHECK(gcp_access_severity(record) == "ERROR");
  }
  record.decision = "deny";  // audit: denied, forwarded, OK
  record.status = 0;
  CHECK(gcp_access_severity(record) == "WARNING");
}

TEST_CASE("gcp latency: google.protobuf.Duration's JSON form") {
  CHECK(gcp_latency(12.0) == "0.012s");
  CHECK(gcp_latency(0.25) == "0.000250s");
  CHECK(gcp_latency(1000.25) == "1.000250s");
  CHECK(gcp_latency(3000.0) == "3s");
  CHECK(gcp_latency(0.0) == "0s");
  CHECK(gcp_latency(1234.5) == "1.234500s");
  CHECK(gcp_latency(-1.0) == "0s");  // a clock step backwards is no negative latency
}

TEST_CASE("gcp handshake line: severity WARNING and a message") {
  const Json line =
      Json::parse(handshake_failure_json_line(7, "10.0.0.1:5555", "unknown_ca", true));
  CHECK(line["severity"] == "WARNING");
  CHECK(line["message"] == "TLS handshake failed: unknown_ca");
  CHECK(line["log"] == "tls_handshake");
  CHECK(line["error"] == "unknown_ca");
  CHECK_FALSE(Json::parse(handshake_failure_json_line(7, "p", "r")).contains("severity"));
}

TEST_CASE("gcp diagnostic line: severity, message and time") {
  CHECK(gcp_severity(spdlog::level::trace) == "DEBUG");
  CHECK(gcp_severity(spdlog::level::debug) == "DEBUG");
  CHECK(gcp_severity(spdlog::level::info) == "INFO");
  CHECK(gcp_severity(spdlog::level::warn) == "WARNING");
  CHECK(gcp_severity(spdlog::level::err) == "ERROR");
  CHECK(gcp_severity(spdlog::level::critical) == "CRITICAL");

  const auto when =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  const std::string text = gcp_diagnostic_line(spdlog::level::warn, "quote \" and\nnewline", when);
  CHECK(text.find('\n') == std::string::npos);
  const Json line = Json::parse(text);
  CHECK(line.size() == 3);
  CHECK(line["severity"] == "WARNING");
  CHECK(line["message"] == "quote \" and\nnewline");
  CHECK(line["time"] == "2023-11-14T22:13:20.123Z");
  // Invalid UTF-8 from a client is replaced, never thrown on.
  CHECK(Json::parse(gcp_diagnostic_line(spdlog::level::info, "bad \xff", when))["message"] ==
        "bad \xEF\xBF\xBD");
}
