// Request ids and W3C traceparent values made and checked per request.
#include "firewarden/telemetry/trace.hpp"

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>

using firewarden::telemetry::continue_trace;
using firewarden::telemetry::is_acceptable_request_id;
using firewarden::telemetry::is_valid_traceparent;
using firewarden::telemetry::new_request_id;
using firewarden::telemetry::new_traceparent;
using firewarden::telemetry::parse_cloud_trace_context;
using firewarden::telemetry::trace_id_of;

TEST_CASE("trace: new traceparents are valid, version 00, unsampled, and differ") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string value = new_traceparent();
    CAPTURE(value);
    REQUIRE(is_valid_traceparent(value));
    CHECK(value.starts_with("00-"));
    CHECK(value.ends_with("-00"));
    CHECK(trace_id_of(value) == value.substr(3, 32));
    seen.insert(value);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("trace: new request ids are 32 lowercase hex digits and differ") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_request_id();
    CAPTURE(id);
    CHECK(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(is_acceptable_request_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("trace: traceparent validation (W3C Trace Context)") {
  CHECK(is_valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  CHECK_FALSE(is_valid_traceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  CHECK_FALSE(is_valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"));
  CHECK_FALSE(is_valid_traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  CHECK_FALSE(is_valid_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  CHECK(trace_id_of("garbage").empty());
}

TEST_CASE("trace: a valid traceparent is continued with a new span of ours") {
  const auto context = continue_trace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                      "11111111111111111111111111111111/5;o=0");
  CHECK(context.trace_id == "0af7651916cd43dd8448eb211c80319c");
  CHECK(context.caller_span_id == "b7ad6b7169203331");
  CHECK(context.flags == "01");
  CHECK(context.sampled());
  CHECK(std::regex_match(context.span_id, std::regex("[0-9a-f]{16}")));
  CHECK(context.span_id != "b7ad6b7169203331");
  CHECK(context.traceparent() == "00-0af7651916cd43dd8448eb211c80319c-" + context.span_id + "-01");
  CHECK(is_valid_traceparent(context.traceparent()));
  // Each request is a span of its own.
  CHECK(continue_trace(context.traceparent(), std::nullopt).span_id != context.span_id);
}

TEST_CASE("trace: a malformed traceparent starts a new trace, whatever else was sent") {
  for (const std::string_view malformed :
       {"garbage", "", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01"}) {
    CAPTURE(malformed);
    const auto context = continue_trace(malformed, "0af7651916cd43dd8448eb211c80319c/5;o=1");
    CHECK(std::regex_match(context.trace_id, std::regex("[0-9a-f]{32}")));
    CHECK(context.trace_id != "0af7651916cd43dd8448eb211c80319c");
    CHECK_FALSE(context.caller_span_id);
    CHECK(context.flags == "00");
    CHECK(is_valid_traceparent(context.traceparent()));
  }
  const auto fresh = continue_trace(std::nullopt, std::nullopt);
  CHECK_FALSE(fresh.caller_span_id);
  CHECK(is_valid_traceparent(fresh.traceparent()));
  CHECK(continue_trace(std::nullopt, std::nullopt).trace_id != fresh.trace_id);
}

TEST_CASE("trace: X-Cloud-Trace-Context is continued when there is no traceparent") {
  // Span ids are decimal in X-Cloud-Trace-Context, hex in traceparent.
  const auto context =
      continue_trace(std::nullopt, "4BF92F3577B34DA6A3CE929D0E0E4736/13235353014750950193;o=1");
  CHECK(context.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(context.caller_span_id == "b7ad6b7169203331");  // 13235353014750950193
  CHECK(context.sampled());
  CHECK(context.cloud_trace_context() ==
        "4bf92f3577b34da6a3ce929d0e0e4736/" +
            std::to_string(std::stoull(context.span_id, nullptr, 16)) + ";o=1");
  const auto unsampled = continue_trace(std::nullopt, "4bf92f3577b34da6a3ce929d0e0e4736/1");
  CHECK(unsampled.caller_span_id == "0000000000000001");
  CHECK_FALSE(unsampled.sampled());
  CHECK_THAT(unsampled.cloud_trace_context(), Catch::EndsWith(";o=0"));
}

TEST_CASE("trace: X-Cloud-Trace-Context values that are not read") {
  for (const std::string_view bad : {
           "",
           "4bf92f3577b34da6a3ce929d0e0e4736",                       // no span
           "4bf92f3577b34da6a3ce929d0e0e4736/",                      // empty span
           "4bf92f3577b34da6a3ce929d0e0e473/1;o=1",                  // 31 digits
           "00000000000000000000000000000000/1;o=1",                 // zero trace
           "4bf92f3577b34da6a3ce929d0e0e4736/0;o=1",                 // zero span
           "4bf92f3577b34da6a3ce929d0e0e4736/18446744073709551616",  // > 2^64 - 1
           "4bf92f3577b34da6a3ce929d0e0e4736/+1",                    // sign
           "4bf92f3577b34da6a3ce929d0e0e4736/1;o=2",                 // options
           "4bf92f3577b34da6a3ce929d0e0e4736/1;o=1 ",                // trailing
           "4bf92f3577b34da6a3ce929d0e0e47zz/1",                     // not hex
       }) {
    CAPTURE(bad);
    CHECK_FALSE(parse_cloud_trace_context(bad));
  }
  const auto largest =
      parse_cloud_trace_context("4bf92f3577b34da6a3ce929d0e0e4736/18446744073709551615;o=0");
  REQUIRE(largest);
  CHECK(largest->span_id == "ffffffffffffffff");
  CHECK_FALSE(largest->sampled);
}

TEST_CASE("trace: only a continued traceparent carries its tracestate on") {
  CHECK(continue_trace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", std::nullopt)
            .from_traceparent);
  CHECK_FALSE(continue_trace("00-zz", std::nullopt).from_traceparent);
  CHECK_FALSE(continue_trace(std::nullopt, std::nullopt).from_traceparent);
  // Continued from X-Cloud-Trace-Context: no traceparent, so no tracestate.
  const auto cloud = continue_trace(std::nullopt, "0af7651916cd43dd8448eb211c80319c/5;o=1");
  CHECK(cloud.caller_span_id.has_value());
  CHECK_FALSE(cloud.from_traceparent);
}
