// gRPC Length-Prefixed-Message framing: whole messages out of arbitrary
// DATA chunks, compressed and oversized messages refused.
#include "firewarden/firestore/grpc_frame.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace firewarden::firestore {
namespace {

using Status = GrpcMessageReader::Status;

TEST_CASE("grpc_frame writes flag 0 and a big-endian length") {
  CHECK(grpc_frame("") == std::string("\0\0\0\0\0", 5));
  CHECK(grpc_frame("ab") == std::string("\0\0\0\0\2ab", 7));
  const std::string big(0x010203, 'x');
  CHECK(grpc_frame(big).substr(0, 5) == std::string("\0\0\x01\x02\x03", 5));
}

TEST_CASE("messages come out whole, however the bytes are split") {
  const std::string stream = grpc_frame("first") + grpc_frame("") + grpc_frame("third one");
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    INFO("chunk " << chunk);
    GrpcMessageReader reader(64);
    std::vector<std::string> got;
    std::string message;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      reader.feed(std::string_view(stream).substr(at, chunk));
      Status status;
      while ((status = reader.next(message)) == Status::message) got.push_back(message);
      REQUIRE(status == Status::need_more);
    }
    CHECK(got == std::vector<std::string>{"first", "", "third one"});
    CHECK(reader.empty());
  }
}

TEST_CASE("a partial message is reported as not empty") {
  GrpcMessageReader reader(64);
  std::string message;
  CHECK(reader.empty());
  reader.feed(grpc_frame("abc").substr(0, 6));
  CHECK(reader.next(message) == Status::need_more);
  CHECK_FALSE(reader.empty());
  reader.feed("bc");
  CHECK(reader.next(message) == Status::message);
  CHECK(message == "abc");
  CHECK(reader.empty());
}

TEST_CASE("a message over the limit is refused from its prefix alone") {
  GrpcMessageReader reader(4);
  std::string message;
  reader.feed(grpc_frame("1234"));
  CHECK(reader.next(message) == Status::message);
  reader.feed(std::string("\0\0\0\0\5", 5));  // no body yet: the length suffices
  CHECK(reader.next(message) == Status::too_large);
  reader.feed("12345");
  CHECK(reader.next(message) == Status::too_large);  // final
  GrpcMessageReader huge(1 << 20);
  huge.feed(std::string("\0\xff\xff\xff\xff", 5));
  CHECK(huge.next(message) == Status::too_large);
}

TEST_CASE("compressed and unknown flags are refused at the first byte") {
  std::string message;
  GrpcMessageReader compressed(64);
  compressed.feed(std::string("\1", 1));
  CHECK(compressed.next(message) == Status::compressed);
  compressed.feed(std::string("\0\0\0\0", 4));
  CHECK(compressed.next(message) == Status::compressed);
  for (const char flag : {'\2', '\x80', '\xff'}) {
    GrpcMessageReader reader(64);
    reader.feed(grpc_frame("ok") + std::string(1, flag) + std::string("\0\0\0\0", 4));
    CHECK(reader.next(message) == Status::message);
    CHECK(reader.next(message) == Status::unreadable);
  }
}

}  // namespace
}  // namespace firewarden::firestore
