// The access log's line shapes (SPEC §10): every field present (null when
// absent), one line, and the TLS handshake line apart from request lines.
#include "firewarden/telemetry/access_log.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using firewarden::telemetry::AccessRecord;
using firewarden::telemetry::handshake_failure_json_line;
using firewarden::telemetry::to_json_line;

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
  for (const char* field :
       {"time", "request_id", "trace_id", "peer", "identity", "namespace", "service_account",
        "method", "required", "decision", "rule", "dry_run", "status", "upstream_status",
        "bytes_in", "bytes_out", "duration_ms", "upstream_ms", "impersonated"}) {
    CAPTURE(field);
    CHECK(json.contains(field));
  }
  CHECK(json["log"] == "access");
  CHECK(json["upstream_status"].is_null());
  CHECK(json["impersonated"].is_null());
  CHECK(json["dry_run"] == nlohmann::json::parse(R"([{"rule":"audit","would":"allow"}])"));
  CHECK(json["required"] ==
        nlohmann::json::parse(R"([{"action":"update","collection":"orders"}])"));
  CHECK_FALSE(json.contains("error"));
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
