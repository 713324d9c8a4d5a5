// gRPC statuses for refusals, grpc-message encoding and grpc-timeout, as
// gRPC's PROTOCOL-HTTP2 document defines them.
#include "firewarden/proxy/grpc_status.hpp"

#include <catch2/catch.hpp>

using namespace firewarden::proxy;
using firewarden::errors::ApiError;
using namespace std::chrono_literals;

TEST_CASE("grpc status: each refusal maps to the code of its REST status") {
  CHECK(grpc_code(ApiError::invalid_argument("x")) == GrpcCode::invalid_argument);
  CHECK(grpc_code(ApiError::unauthenticated("x")) == GrpcCode::unauthenticated);
  CHECK(grpc_code(ApiError::permission_denied("x")) == GrpcCode::permission_denied);
  CHECK(grpc_code(ApiError::payload_too_large("x")) == GrpcCode::resource_exhausted);
  CHECK(grpc_code(ApiError::unimplemented("x")) == GrpcCode::unimplemented);
  CHECK(grpc_code(ApiError::bad_gateway("x")) == GrpcCode::unavailable);
  CHECK(grpc_code(ApiError::unavailable("x")) == GrpcCode::unavailable);
  CHECK(grpc_code(ApiError::deadline_exceeded("x")) == GrpcCode::deadline_exceeded);
  // A status the table lacks is never reported as OK.
  CHECK(grpc_code(ApiError{500, "SOMETHING_NEW", "x"}) == GrpcCode::internal);
}

TEST_CASE("grpc status: grpc-message percent-encodes what HPACK text may not carry") {
  CHECK(grpc_message("plain text: ok [r1]") == "plain text: ok [r1]");
  CHECK(grpc_message("100%") == "100%25");
  CHECK(grpc_message("line\nbreak") == "line%0Abreak");
  CHECK(grpc_message("caf\xc3\xa9") == "caf%C3%A9");
}

TEST_CASE("grpc status: grpc-timeout is read exactly or refused") {
  CHECK(parse_grpc_timeout("1S") == 1s);
  CHECK(parse_grpc_timeout("250m") == 250ms);
  CHECK(parse_grpc_timeout("3H") == 3h);
  CHECK(parse_grpc_timeout("2M") == 2min);
  CHECK(parse_grpc_timeout("7u") == 7us);
  CHECK(parse_grpc_timeout("99999999n") == 99999999ns);
  for (const char* bad : {"", "S", "1", "1s", "123456789S", "-1S", " 1S", "1.5S", "1SS"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_grpc_timeout(bad).has_value());
  }
}

TEST_CASE("grpc status: a timeout is sent in at most 8 digits, never shorter than it is") {
  CHECK(format_grpc_timeout(1500ms) == "1500000u");
  CHECK(format_grpc_timeout(60s) == "60000000u");
  CHECK(format_grpc_timeout(3600s) == "3600000m");
  CHECK(format_grpc_timeout(0ns) == "1n");
  CHECK(format_grpc_timeout(1ns) == "1n");
  const auto round_trip = parse_grpc_timeout(format_grpc_timeout(123456789ns));
  REQUIRE(round_trip);
  CHECK(*round_trip >= 123456789ns);
}
