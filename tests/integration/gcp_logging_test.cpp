// logging.format: gcp against the real binary: access lines and diagnostic
// lines on the wire are JSON objects with Cloud Logging's structured fields
// (severity, message, time, httpRequest, trace, spanId), and access lines
// keep every firewarden field.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

namespace {

// Every line of `text` parsed as JSON (REQUIRE: a line that is not fails).
std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    CAPTURE(line);
    REQUIRE(json::accept(line));
    lines.push_back(json::parse(line));
  }
  return lines;
}

std::optional<json> access_line(const FirewardenInstance& fw, const std::string& request_id) {
  for (const json& line : json_lines(fw.access_log())) {
    if (line.value("request_id", "") == request_id) return line;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("gcp logging: access and diagnostic lines carry Cloud Logging's fields") {
  RecordingUpstream upstream;
  InstanceOptions options{.upstream = upstream.url()};
  options.log_format = "gcp";
  FirewardenInstance fw(options);
  const std::string path = fw.documents() + "/orders/o1";
  const auto response =
      fw.request({"GET",
                  path + "?mask.fieldPaths=n",
                  {},
                  {{"x-request-id", "gcp-allowed-get"},
                   {"user-agent", "orders-api/2.0"},
                   {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}});
  REQUIRE(response.status == 200);

  std::optional<json> line;
  REQUIRE(eventually([&] { return (line = access_line(fw, "gcp-allowed-get")).has_value(); },
                     std::chrono::seconds(5)));
  CHECK((*line)["severity"] == "INFO");
  CHECK((*line)["message"] == "GET get 200 allow");
  CHECK(std::regex_match((*line)["time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  const json& http = line->at("httpRequest");
  CHECK(http["requestMethod"] == "GET");
  CHECK(http["requestUrl"] == path.substr(path.find("/v1/")));  // no query
  CHECK(http["status"] == 200);
  CHECK(std::regex_match(http["latency"].get<std::string>(),
                         std::regex(R"(\d+(\.\d{3}|\.\d{6})?s)")));
  CHECK_THAT(http["remoteIp"].get<std::string>(), Catch::StartsWith("127.0.0.1:"));
  CHECK(http["userAgent"] == "orders-api/2.0");
  CHECK(http["requestSize"] == "0");
  CHECK(http["responseSize"] == std::to_string((*line)["bytes_out"].get<std::uint64_t>()));
  CHECK((*line)["logging.googleapis.com/trace"] ==
        "projects/" + options.project + "/traces/0af7651916cd43dd8448eb211c80319c");
  const std::string sent = upstream.requests().back().header("traceparent");
  CHECK((*line)["logging.googleapis.com/spanId"] == sent.substr(36, 16));
  // firewarden's own fields stay, so `firewarden suggest` reads these lines.
  CHECK((*line)["log"] == "access");
  CHECK((*line)["decision"] == "allow");
  CHECK((*line)["parent_span_id"] == "b7ad6b7169203331");
  CHECK((*line)["required"].is_array());

  // Diagnostics: every stderr line is {"time","severity","message"}.
  REQUIRE(eventually([&] { return !fw.logs().empty(); }, std::chrono::seconds(5)));
  const auto diagnostics = json_lines(fw.logs());
  REQUIRE_FALSE(diagnostics.empty());
  bool info_seen = false;
  for (const json& diagnostic : diagnostics) {
    CAPTURE(diagnostic.dump());
    CHECK(diagnostic.size() == 3);
    CHECK(diagnostic["message"].is_string());
    CHECK(std::regex_match(diagnostic["time"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    const std::string severity = diagnostic["severity"].get<std::string>();
    CHECK((severity == "DEBUG" || severity == "INFO" || severity == "WARNING" ||
           severity == "ERROR" || severity == "CRITICAL"));
    info_seen = info_seen || severity == "INFO";
  }
  CHECK(info_seen);
}

TEST_CASE("gcp logging: gRPC calls carry Cloud Logging's fields too") {
  InstanceOptions options;
  options.log_format = "gcp";
  FirewardenInstance fw(options);  // the emulator upstream, over h2c
  const std::string trace_id = "0af7651916cd43dd8448eb211c80319c";
  REQUIRE(grpc_call(fw.port(), {"Commit",
                                commit_update(fw, "orders/g1"),
                                {{"x-request-id", "gcp-grpc-allowed"},
                                 {"user-agent", "orders-grpc/1.0"},
                                 {"traceparent", "00-" + trace_id + "-b7ad6b7169203331-01"}}})
              .status == 0);
  REQUIRE(
      grpc_call(fw.port(),
                {"Commit", commit_update(fw, "payments/g2"), {{"x-request-id", "gcp-grpc-denied"}}})
          .status == 7);

  std::optional<json> allowed;
  REQUIRE(eventually([&] { return (allowed = access_line(fw, "gcp-grpc-allowed")).has_value(); },
                     std::chrono::seconds(5)));
  CAPTURE(allowed->dump());
  CHECK((*allowed)["severity"] == "INFO");
  CHECK((*allowed)["message"] == "POST Commit 0 allow");
  const json& http = allowed->at("httpRequest");
  CHECK(http["requestMethod"] == "POST");
  CHECK(http["requestUrl"] == "/google.firestore.v1.Firestore/Commit");
  CHECK(http["status"] == 200);  // gRPC answers HTTP 200; its code is `status`
  CHECK(http["userAgent"] == "orders-grpc/1.0");
  CHECK((*allowed)["logging.googleapis.com/trace"] ==
        "projects/" + options.project + "/traces/" + trace_id);
  CHECK((*allowed)["logging.googleapis.com/spanId"] == (*allowed)["span_id"]);
  CHECK((*allowed)["protocol"] == "grpc");
  CHECK((*allowed)["status"] == 0);

  std::optional<json> denied;
  REQUIRE(eventually([&] { return (denied = access_line(fw, "gcp-grpc-denied")).has_value(); },
                     std::chrono::seconds(5)));
  CAPTURE(denied->dump());
  CHECK((*denied)["severity"] == "WARNING");
  CHECK((*denied)["message"] == "POST Commit 7 deny");
  CHECK((*denied)["httpRequest"]["status"] == 200);
  CHECK((*denied)["httpRequest"]["userAgent"].is_null());
  CHECK((*denied)["status"] == 7);
}
