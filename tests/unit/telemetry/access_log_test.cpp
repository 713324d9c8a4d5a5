// The access log's line shapes (SPEC §10): every field present (null when
// absent), one line, and the TLS handshake line apart from request lines.
#include "firewarden/telemetry/access_log.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

using firewarden::telemetry::AccessLog;
using firewarden::telemetry::AccessRecord;
using firewarden::telemetry::handshake_failure_json_line;
using firewarden::telemetry::to_json_line;
using Json = nlohmann::json;

TEST_CASE("access line: every SPEC 10 field, absent values as null") {
  AccessRecord record;
  record.request_id = "r1";
  record.decision = "deny";
  record.rule = "no-writes";
  record.dry_run = {{"audit", "allow"}};
  record.required = {{"update", "orders"}};
  record.status = 403;
  const std::string line = to_json_line(record);
  CHECK(line.find('\n') == std::string::npos);
  const auto json = nlohmann::json::parse(line);
  for (const char* field : {"time",
                            "request_id",
                            "trace_id",
                            "peer",
                            "user_agent",
                            "identity",
                            "namespace",
                            "service_account",
                            "peer_certificate_serial",
                            "peer_certificate_sha256",
                            "protocol",
                            "http_method",
                            "method",
                            "stream_message",
                            "document_paths",
                            "required",
                            "decision",
                            "rule",
                            "dry_run",
                            "status",
                            "upstream_status",
                            "upstream_reused",
                            "bytes_in",
                            "bytes_out",
                            "duration_ms",
                            "upstream_ms",
                            "impersonated",
                            "error"}) {
    CAPTURE(field);
    CHECK(json.contains(field));
  }
  CHECK(json["log"] == "access");
  CHECK(json["upstream_status"].is_null());
  CHECK(json["impersonated"].is_null());
  CHECK(json["enforcement"] == "enforce");
  CHECK(json["dry_run"] == nlohmann::json::parse(R"([{"rule":"audit","would":"allow"}])"));
  CHECK(json["required"] ==
        nlohmann::json::parse(R"([{"action":"update","collection":"orders"}])"));
  CHECK(json["error"].is_null());
}

TEST_CASE("access line: a field without a value is null, never an empty string") {
  AccessRecord record;  // nothing known: an unreadable request
  record.request_id = "r1";
  record.peer = "127.0.0.1:1";
  record.method = "unknown";
  record.decision = "error";
  const auto json = nlohmann::json::parse(to_json_line(record));
  for (const char* field : {"trace_id", "user_agent", "identity", "namespace", "service_account",
                            "peer_certificate_serial", "peer_certificate_sha256", "http_method",
                            "stream_message", "document_paths", "rule", "upstream_status",
                            "upstream_reused", "upstream_ms", "impersonated", "error"}) {
    CAPTURE(field);
    CHECK(json[field].is_null());
  }
  for (const auto& [key, value] : json.items()) {
    CAPTURE(key);
    CHECK(value != "");
  }
}

TEST_CASE("access line: who did what to which document") {
  AccessRecord record;
  record.http_method = "PATCH";
  record.method = "patch";
  record.user_agent = "grpc-node/1.9 \"quoted\"";
  record.peer_certificate_serial = "0a1b";
  record.peer_certificate_sha256 = std::string(64, 'f');
  record.document_paths = std::vector<std::string>{"orders/o1", "orders/o2"};
  record.upstream_reused = false;
  const auto json = nlohmann::json::parse(to_json_line(record));
  CHECK(json["http_method"] == "PATCH");
  CHECK(json["method"] == "patch");
  CHECK(json["user_agent"] == "grpc-node/1.9 \"quoted\"");
  CHECK(json["peer_certificate_serial"] == "0a1b");
  CHECK(json["peer_certificate_sha256"] == std::string(64, 'f'));
  CHECK(json["document_paths"] == nlohmann::json::array({"orders/o1", "orders/o2"}));
  CHECK(json["upstream_reused"] == false);
  record.upstream_reused = true;
  record.document_paths = std::vector<std::string>{};  // a query names no document
  const auto again = nlohmann::json::parse(to_json_line(record));
  CHECK(again["upstream_reused"] == true);
  CHECK(again["document_paths"] == nlohmann::json::array());
}

TEST_CASE("access line: a deny forwarded in audit mode keeps its decision and upstream status") {
  AccessRecord record;
  record.decision = "deny";
  record.rule = "analytics-never-writes";
  record.enforcement = "audit";
  record.status = 200;
  record.upstream_status = 200;
  const auto json = nlohmann::json::parse(to_json_line(record));
  CHECK(json["decision"] == "deny");
  CHECK(json["enforcement"] == "audit");
  CHECK(json["status"] == 200);
  CHECK(json["upstream_status"] == 200);
}

TEST_CASE("access line: a failed TLS handshake has its own line") {
  const std::string line = handshake_failure_json_line(42, "127.0.0.1:5555", "unknown_ca");
  CHECK(line.find('\n') == std::string::npos);
  const auto json = nlohmann::json::parse(line);
  CHECK(json["log"] == "tls_handshake");
  CHECK(json["connection"] == 42);
  CHECK(json["peer"] == "127.0.0.1:5555");
  CHECK(json["decision"] == "error");
  CHECK(json["error"] == "unknown_ca");
  CHECK(json["time"].get<std::string>().ends_with("Z"));
}

namespace {

AccessRecord sample() {
  AccessRecord r;
  r.request_id = "r1";
  r.trace_id = "0af7651916cd43dd8448eb211c80319c";
  r.peer = "127.0.0.1:5000";
  r.identity = "spiffe://cluster.local/ns/orders/sa/api";
  r.namespace_name = "orders";
  r.method = "commit";
  r.required = {{"update", "orders"}, {"delete", "orders/*/items"}};
  r.decision = "allow";
  r.rule = "orders-own-orders";
  r.dry_run = {{"audit", "deny"}};
  r.status = 200;
  r.upstream_status = 200;
  r.bytes_in = 4052;
  r.bytes_out = 533;
  r.duration_ms = 1.25;
  r.upstream_ms = 3;
  return r;
}

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
  return text;
}

}  // namespace

TEST_CASE("access line: every SPEC §10 field, JSON types kept") {
  const std::string line = to_json_line(sample());
  CHECK(line.find('\n') == std::string::npos);
  const Json j = Json::parse(line);
  CHECK(j["log"] == "access");
  CHECK(j["time"].get<std::string>().size() == 24);
  CHECK(j["request_id"] == "r1");
  CHECK(j["trace_id"] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(j["peer"] == "127.0.0.1:5000");
  CHECK(j["identity"] == "spiffe://cluster.local/ns/orders/sa/api");
  CHECK(j["namespace"] == "orders");
  CHECK(j["service_account"].is_null());
  CHECK(j["method"] == "commit");
  CHECK(j["required"] == Json::parse(R"([{"action":"update","collection":"orders"},
                                         {"action":"delete","collection":"orders/*/items"}])"));
  CHECK(j["decision"] == "allow");
  CHECK(j["rule"] == "orders-own-orders");
  CHECK(j["dry_run"] == Json::parse(R"([{"rule":"audit","would":"deny"}])"));
  CHECK(j["status"] == 200);
  CHECK(j["upstream_status"] == 200);
  CHECK(j["bytes_in"] == 4052);
  CHECK(j["bytes_out"] == 533);
  CHECK(j["duration_ms"].is_number_float());
  CHECK(j["duration_ms"].get<double>() == 1.25);
  CHECK(j["upstream_ms"].is_number_float());
  CHECK(j["upstream_ms"].get<double>() == 3.0);
  // Durations in milliseconds with microsecond digits, always with a point.
  CHECK_THAT(line, Catch::Contains(R"("duration_ms":1.250,"upstream_ms":3.000)"));
  CHECK(j["impersonated"].is_null());
  CHECK(j["error"].is_null());
}

TEST_CASE("access line: client text cannot break the line or forge fields") {
  AccessRecord r = sample();
  r.method = "GET\"},\"decision\":\"allow";
  r.error = "line\nbreak\r\ttab \\ \x01 \x7f end";
  r.upstream_status.reset();
  r.upstream_ms.reset();
  const std::string line = to_json_line(r);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\x01') == std::string::npos);
  const Json j = Json::parse(line);
  CHECK(j["method"] == "GET\"},\"decision\":\"allow");
  CHECK(j["decision"] == "allow");
  CHECK(j["error"] == "line\nbreak\r\ttab \\ \x01 \x7f end");
  CHECK(j["upstream_status"].is_null());
  CHECK(j["upstream_ms"].is_null());
}

TEST_CASE("access line: invalid UTF-8 becomes U+FFFD, valid UTF-8 is kept") {
  const std::string replacement = "\xEF\xBF\xBD";
  const struct {
    std::string in, out;
  } cases[] = {
      {"caf\xC3\xA9", "caf\xC3\xA9"},            // é
      {"\xE2\x82\xAC", "\xE2\x82\xAC"},          // €
      {"\xF0\x9F\x94\x92", "\xF0\x9F\x94\x92"},  // 🔒
      {"a\xFF"
       "b",
       "a" + replacement + "b"},                                                    // never valid
      {"\xC0\xAF", replacement + replacement},                                      // overlong '/'
      {"\xED\xA0\x80", replacement + replacement + replacement},                    // surrogate
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},  // > U+10FFFF
      {"end\xE2\x82", "end" + replacement + replacement},  // truncated at the end
  };
  for (const auto& c : cases) {
    AccessRecord r = sample();
    r.identity = c.in;
    const Json j = Json::parse(to_json_line(r));
    CHECK(j["identity"] == c.out);
  }
}

TEST_CASE("access log: lines reach the file in order, all of them by destruction") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    AccessLog log(true, file);
    for (int i = 0; i < 1000; ++i) {
      AccessRecord r = sample();
      r.request_id = std::to_string(i);
      log.write(r);
    }
    log.flush();
    const std::string flushed = read_all(file);
    CHECK(std::count(flushed.begin(), flushed.end(), '\n') == 1000);
    std::fseek(file, 0, SEEK_END);
    AccessRecord last = sample();
    last.request_id = "last";
    log.write(last);
  }
  const std::string text = read_all(file);
  std::size_t start = 0;
  int n = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1, ++n) {
    const Json j = Json::parse(text.substr(start, end - start));
    CHECK(j["request_id"] == (n < 1000 ? std::to_string(n) : std::string("last")));
  }
  CHECK(n == 1001);
  std::fclose(file);
}

TEST_CASE("access log: disabled writes nothing") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    AccessLog log(false, file);
    log.write(sample());
    log.flush();
  }
  CHECK(read_all(file).empty());
  std::fclose(file);
}
