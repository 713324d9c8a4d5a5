// cut_grpc_write_response: the protobuf twin of the write-response cut. The
// allowlist is kept, re-encoded; document data and transform results go; what
// cannot be read is a failure.
#include "firewarden/proxy/grpc_response_cut.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "firewarden/firestore/protobuf_wire.hpp"

using namespace firewarden::proxy;
using firewarden::firestore::protobuf::append_length_delimited;
using firewarden::firestore::protobuf::append_varint_field;

namespace {

constexpr std::size_t kLimit = 1 << 20;

std::string num(std::uint32_t number, std::uint64_t value) {
  std::string out;
  append_varint_field(out, number, value);
  return out;
}
std::string len(std::uint32_t number, std::string_view bytes) {
  std::string out;
  append_length_delimited(out, number, bytes);
  return out;
}
std::string timestamp(std::uint64_t seconds, std::uint64_t nanos) {
  return num(1, seconds) + num(2, nanos);
}
const std::string kName = "projects/p/databases/(default)/documents/orders/o1";
// A Document map entry: key "secret", Value{string_value 17: "s3cr3t"}.
const std::string kSecretField = len(2, len(1, "secret") + len(2, len(17, "s3cr3t")));
// A Value{integer_value 2: 42}, as a transform result.
const std::string kTransformResult = len(2, num(2, 42));

std::string cut(GrpcWriteResponse shape, const std::string& message) {
  const CutResult result = cut_grpc_write_response(shape, message, kLimit);
  if (const auto* failure = std::get_if<CutFailure>(&result)) FAIL(failure->reason);
  return std::get<std::string>(result);
}

std::string failure(GrpcWriteResponse shape, const std::string& message,
                    std::size_t limit = kLimit) {
  const CutResult result = cut_grpc_write_response(shape, message, limit);
  if (std::holds_alternative<std::string>(result)) FAIL("cut, not refused");
  return std::get<CutFailure>(result).reason;
}

TEST_CASE("the RPCs whose responses are cut") {
  CHECK(grpc_write_response_of("UpdateDocument") == GrpcWriteResponse::document);
  CHECK(grpc_write_response_of("CreateDocument") == GrpcWriteResponse::document);
  CHECK(grpc_write_response_of("Commit") == GrpcWriteResponse::commit);
  CHECK(grpc_write_response_of("BatchWrite") == GrpcWriteResponse::batch_write);
  CHECK(grpc_write_response_of("GetDocument") == GrpcWriteResponse::other);
  CHECK(cut(GrpcWriteResponse::other, len(1, kName) + kSecretField).empty());
}

TEST_CASE("a Document keeps its name and times, never its fields") {
  const std::string document = len(1, kName) + kSecretField + len(3, timestamp(1700000000, 5)) +
                               len(4, timestamp(1700000001, 0)) + num(9, 1);
  CHECK(cut(GrpcWriteResponse::document, document) ==
        len(1, kName) + len(3, timestamp(1700000000, 5)) + len(4, timestamp(1700000001, 0)));
  CHECK(cut(GrpcWriteResponse::document, kSecretField).empty());
  CHECK(cut(GrpcWriteResponse::document, "").empty());
}

TEST_CASE("a CommitResponse keeps update times and the commit time, not transform results") {
  const std::string response = len(1, len(1, timestamp(10, 1)) + kTransformResult) +
                               len(1, kTransformResult) + len(2, timestamp(11, 0));
  CHECK(cut(GrpcWriteResponse::commit, response) ==
        len(1, len(1, timestamp(10, 1))) + len(1, "") + len(2, timestamp(11, 0)));
}

TEST_CASE("a BatchWriteResponse keeps statuses as code and message") {
  const std::string status = num(1, 9) + len(2, "failed precondition") +
                             len(3, len(1, "type.googleapis.com/x") + len(2, "secret"));
  const std::string response =
      len(1, len(1, timestamp(10, 0)) + kTransformResult) + len(2, status) + len(2, "");
  CHECK(cut(GrpcWriteResponse::batch_write, response) ==
        len(1, len(1, timestamp(10, 0))) + len(2, num(1, 9) + len(2, "failed precondition")) +
            len(2, ""));
}

TEST_CASE("what the cut cannot read is a failure") {
  using S = GrpcWriteResponse;
  CHECK_FALSE(failure(S::document, len(1, kName), 10).empty());            // over the limit
  CHECK_FALSE(failure(S::document, len(1, kName).substr(0, 10)).empty());  // truncated
  CHECK_FALSE(failure(S::document, num(1, 5)).empty());                    // name as a varint
  CHECK_FALSE(failure(S::document, len(1, "\xff")).empty());               // name not UTF-8
  CHECK_FALSE(failure(S::document, len(3, len(17, "data"))).empty());      // not a Timestamp
  CHECK_FALSE(failure(S::document, len(4, len(1, "x"))).empty());          // seconds not a varint
  CHECK_FALSE(failure(S::document, std::string("\x0b\x0c", 2)).empty());   // a group
  CHECK_FALSE(failure(S::commit, num(1, 1)).empty());                 // write_results as a varint
  CHECK_FALSE(failure(S::commit, len(1, len(1, "\x08"))).empty());    // truncated inside
  CHECK_FALSE(failure(S::commit, len(2, len(5, "x"))).empty());       // commit_time not a Timestamp
  CHECK_FALSE(failure(S::batch_write, len(2, len(1, "x"))).empty());  // code not a varint
  CHECK_FALSE(failure(S::batch_write, len(2, len(2, "\xc0"))).empty());  // message not UTF-8
  CHECK_FALSE(failure(S::batch_write, len(2, "\x80")).empty());          // status not protobuf
}

}  // namespace
