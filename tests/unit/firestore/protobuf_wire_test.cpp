// The strict wire reader and the table walker on their own: wire-level
// edge cases and the nesting bound.
#include "firewarden/firestore/protobuf_wire.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "firewarden/firestore/firestore_protos.hpp"
#include "protobuf_encode.hpp"

namespace firewarden::firestore {
namespace {

using namespace testing::pb;
using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

TEST_CASE("the wire reader reads each wire type and the varint extremes") {
  const std::string bytes = cat({num(1, 0), num(2, ~std::uint64_t{0}), tag(3, 1),
                                 std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), tag(4, 5),
                                 std::string("\x01\x00\x00\x80", 4), len(536870911, "xy")});
  WireReader reader(bytes);
  WireField field;
  REQUIRE(reader.next(field) == WireReader::Next::field);
  CHECK((field.number == 1 && field.wire == WireType::varint && field.scalar == 0));
  REQUIRE(reader.next(field) == WireReader::Next::field);
  CHECK((field.number == 2 && field.scalar == ~std::uint64_t{0}));
  REQUIRE(reader.next(field) == WireReader::Next::field);
  CHECK((field.wire == WireType::fixed64 && field.scalar == 0x0807060504030201ULL));
  REQUIRE(reader.next(field) == WireReader::Next::field);
  CHECK((field.wire == WireType::fixed32 && field.scalar == 0x80000001ULL));
  REQUIRE(reader.next(field) == WireReader::Next::field);
  CHECK((field.number == 536870911 && field.bytes == "xy"));
  CHECK(reader.next(field) == WireReader::Next::end);
}

TEST_CASE("the wire reader refuses what cannot be split into fields") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"truncated fixed64", cat({tag(1, 1), "1234567"})},
      {"truncated fixed32", cat({tag(1, 5), "123"})},
      {"field number 2^29", tag(536870912, 0) + "\x01"},
      {"wire type 7", tag(1, 7)},
      {"tag beyond 64 bits", std::string(9, '\xff') + "\x02"},
      {"length beyond the message", cat({tag(1, 2), varint(1000), "abc"})},
      {"padded tag", std::string("\x88\x00\x01", 3)},
  };
  for (const auto& [what, bytes] : rows) {
    INFO(what);
    WireReader reader(bytes);
    WireField field;
    WireReader::Next next;
    while ((next = reader.next(field)) == WireReader::Next::field) {
    }
    CHECK(next == WireReader::Next::error);
    CHECK_FALSE(reader.error_reason().empty());
    CHECK(reader.next(field) == WireReader::Next::error);  // stays in error
  }
}

// A RunQuery whose where is `depth` Filters nested through CompositeFilter.
std::string nested_filter_query(int depth) {
  std::string filter = len(3, num(1, 3));                           // Filter{unary_filter{op}}
  for (int i = 1; i < depth; ++i) filter = len(1, len(2, filter));  // composite_filter.filters
  return cat({len(1, root()), len(2, cat({query_from("a"), len(3, filter)}))});
}

TEST_CASE("protobuf nesting is bounded") {
  CHECK(protobuf::read_message(nested_filter_query(40), protos::run_query_request).ok());
  const auto deep = protobuf::read_message(nested_filter_query(200), protos::run_query_request);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("nested too deep") != std::string::npos);
}

TEST_CASE("a lookup by a name the table does not have is a programming error") {
  const std::string bytes = len(1, doc("a/1"));  // the message views it
  const auto message = protobuf::read_message(bytes, protos::get_document_request);
  REQUIRE(message.ok());
  CHECK(message.value().string("name") == doc("a/1"));
  CHECK_FALSE(message.value().has("mask"));
  CHECK_THROWS_AS(message.value().string("nmae"), std::logic_error);
}

}  // namespace
}  // namespace firewarden::firestore
