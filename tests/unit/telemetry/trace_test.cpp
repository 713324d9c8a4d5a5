// Request ids and W3C traceparent values made and checked per request.
#include "firewarden/telemetry/trace.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using firewarden::telemetry::is_acceptable_request_id;
using firewarden::telemetry::is_valid_traceparent;
using firewarden::telemetry::new_request_id;
using firewarden::telemetry::new_traceparent;
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
