// The small readers under the classifier: UTF-8, quoting, spellings, numbers, timestamps.
#include <catch2/catch.hpp>

#include "firewarden/firestore/text.hpp"
#include "firewarden/firestore/timestamp.hpp"

using namespace firewarden::firestore;

TEST_CASE("UTF-8 validation follows RFC 3629") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));              // lone continuation
  CHECK_FALSE(is_valid_utf8("\xC3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("control characters include C0, DEL and C1") {
  CHECK(has_control_character(std::string("a\0b", 3)));
  CHECK(has_control_character("a\tb"));
  CHECK(has_control_character("a\x7F"));
  CHECK(has_control_character("a\xC2\x85"));
  CHECK_FALSE(has_control_character("a\xC2\xA0 b\xE2\x80\xA8"));
}

TEST_CASE("quoted input is capped and printable") {
  CHECK(quote_input("abc") == "\"abc\"");
  CHECK(quote_input("a\"b\\") == "\"a\\\"b\\\\\"");
  CHECK(quote_input(std::string("\n\xFF", 2)) == "\"\\x0A\\xFF\"");
  CHECK(quote_input("\xC3\xA9") == "\"\xC3\xA9\"");
  const std::string quoted = quote_input(std::string(1000, 'x'));
  CHECK(quoted == "\"" + std::string(kMaxQuotedBytes, 'x') + "\"…");
}

TEST_CASE("snake_case spelling of lowerCamel names") {
  CHECK(is_snake_case_of("structured_query", "structuredQuery"));
  CHECK(is_snake_case_of("writes", "writes"));
  CHECK(is_snake_case_of("update_time", "updateTime"));
  CHECK_FALSE(is_snake_case_of("structuredQuery", "structuredQuery"));  // that is the camel form
  CHECK_FALSE(is_snake_case_of("structured_Query", "structuredQuery"));
  CHECK_FALSE(is_snake_case_of("structuredquery", "structuredQuery"));
  CHECK_FALSE(is_snake_case_of("structured_query_", "structuredQuery"));
  CHECK_FALSE(is_snake_case_of("structured_", "structuredQuery"));
}

TEST_CASE("base64 and decimal integers") {
  CHECK(is_base64(""));
  CHECK(is_base64("YWJj"));
  CHECK(is_base64("YQ=="));
  CHECK(is_base64("-_8="));
  CHECK_FALSE(is_base64("a b"));
  CHECK_FALSE(is_base64("YQ==="));
  CHECK_FALSE(is_base64("Y=Q="));
  CHECK(parse_decimal_int64("0") == 0);
  CHECK(parse_decimal_int64("-12") == -12);
  CHECK(parse_decimal_int64("9223372036854775807") == INT64_MAX);
  CHECK(parse_decimal_int64("-9223372036854775808") == INT64_MIN);
  CHECK_FALSE(parse_decimal_int64("9223372036854775808"));
  CHECK_FALSE(parse_decimal_int64("+1"));
  CHECK_FALSE(parse_decimal_int64("01"));
  CHECK_FALSE(parse_decimal_int64(""));
  CHECK_FALSE(parse_decimal_int64("-"));
  CHECK_FALSE(parse_decimal_int64("1.0"));
}

TEST_CASE("RFC 3339 timestamps as google.protobuf.Timestamp reads them") {
  CHECK(parse_timestamp("1970-01-01T00:00:00Z") == Timestamp{0, 0});
  CHECK(parse_timestamp("1970-01-01T00:00:01.5Z") == Timestamp{1, 500000000});
  CHECK(parse_timestamp("2024-02-29T12:00:00.123456789Z") == Timestamp{1709208000, 123456789});
  CHECK(parse_timestamp("1970-01-01T01:00:00+01:00") == Timestamp{0, 0});
  CHECK(parse_timestamp("1969-12-31T23:00:00-01:00") == Timestamp{0, 0});
  CHECK(parse_timestamp("0001-01-01T00:00:00Z") == Timestamp{-62135596800, 0});
  CHECK(parse_timestamp("9999-12-31T23:59:59.999999999Z") == Timestamp{253402300799, 999999999});
  for (const char* bad :
       {"", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00z",
        "0000-01-01T00:00:00Z", "2024-01-01T00:00:00+0100", "2024-01-01T00:00:00Zjunk",
        "+2024-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01"}) {
    INFO(bad);
    CHECK_FALSE(parse_timestamp(bad));
  }
}
