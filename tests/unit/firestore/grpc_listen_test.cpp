// ListenRequest -> add or remove (read_listen_request), later stream
// messages that leave `database` empty, and the REMOVE response firewarden
// writes for a denied target, read back with the strict wire reader.
#include "firewarden/firestore/grpc_listen.hpp"

#include <catch2/catch.hpp>

#include "classify_support.hpp"
#include "protobuf_encode.hpp"

namespace firewarden::firestore {
namespace {

using namespace testing;
using namespace testing::pb;

const std::string kListen = "/google.firestore.v1.Firestore/Listen";
const std::string kWrite = "/google.firestore.v1.Firestore/Write";

std::variant<ListenMessage, ApiError> read(const std::string& message,
                                           std::string_view stream_database = {}) {
  return read_listen_request(GrpcRequest{kListen, message, {}, stream_database}, kScope);
}

std::string query_target(std::string_view collection, std::uint64_t id) {
  return len(2, cat({len(2, cat({len(1, root()), len(2, query_from(collection))})), num(5, id)}));
}

std::string refusal(const std::variant<ListenMessage, ApiError>& result) {
  const auto* error = std::get_if<ApiError>(&result);
  return error != nullptr ? error->message : "";
}

}  // namespace

TEST_CASE("Listen reader: add_target carries its id and requirements") {
  const auto added = read(cat({len(1, db()), query_target("orders", 5)}));
  REQUIRE(std::holds_alternative<ListenMessage>(added));
  const auto& add = std::get<ListenAdd>(std::get<ListenMessage>(added));
  CHECK(add.target_id == 5);
  CHECK(outcome(ClassifyResult(add.model)) == "ok Listen: [query orders]");

  const auto documents =
      read(cat({len(1, db()),
                len(2, cat({len(3, cat({len(2, doc("a/1")), len(2, doc("b/2"))})), num(5, 9)}))}));
  REQUIRE(std::holds_alternative<ListenMessage>(documents));
  const auto& by_document = std::get<ListenAdd>(std::get<ListenMessage>(documents));
  CHECK(by_document.target_id == 9);
  CHECK(outcome(ClassifyResult(by_document.model)) == "ok Listen: [get a] [get b]");

  const auto server_assigned = read(cat({len(1, db()), len(2, len(3, len(2, doc("a/1"))))}));
  REQUIRE(std::holds_alternative<ListenMessage>(server_assigned));
  CHECK(std::get<ListenAdd>(std::get<ListenMessage>(server_assigned)).target_id == 0);
}

TEST_CASE("Listen reader: remove_target carries its id") {
  const auto removed = read(cat({len(1, db()), num(3, 7)}));
  REQUIRE(std::holds_alternative<ListenMessage>(removed));
  CHECK(std::get<ListenRemove>(std::get<ListenMessage>(removed)).target_id == 7);
}

TEST_CASE("Listen reader: what is not one unambiguous add or remove is refused") {
  struct Case {
    const char* what;
    std::string message;
    const char* reason;
  };
  const std::vector<Case> cases{
      {"neither add nor remove", len(1, db()), "add_target or remove_target"},
      {"add and remove at once", cat({len(1, db()), query_target("orders", 1), num(3, 1)}),
       "target_change"},
      {"remove_target twice", cat({len(1, db()), num(3, 1), num(3, 2)}), "remove_target"},
      {"target_id twice",
       cat({len(1, db()), len(2, cat({len(3, len(2, doc("a/1"))), num(5, 1), num(5, 2)}))}),
       "target_id"},
      {"an unknown field", cat({len(1, db()), num(3, 1), num(99, 1)}), "99"},
      {"an unknown field in the target",
       cat({len(1, db()), len(2, cat({len(3, len(2, doc("a/1"))), num(42, 1)}))}), "42"},
      {"a negative target id",
       cat({len(1, db()),
            len(2, cat({len(3, len(2, doc("a/1"))), num(5, static_cast<std::uint64_t>(-3))}))}),
       "negative"},
      {"database given twice", cat({len(1, db()), len(1, db()), num(3, 1)}), "database"},
      {"no database on a stream's first message", num(3, 1), "database"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string why = refusal(read(c.message));
    CHECK_THAT(why, Catch::Contains(c.reason));
  }
}

TEST_CASE("stream messages after the first may leave database empty") {
  // A later Listen message: read as naming the stream's database.
  const auto removed = read(num(3, 4), db());
  REQUIRE(std::holds_alternative<ListenMessage>(removed));
  CHECK(std::get<ListenRemove>(std::get<ListenMessage>(removed)).target_id == 4);
  // A later Write message: its writes are still checked against it.
  const std::string writes = cat({len(3, update_write("a/1")), len(4, "token")});
  CHECK(outcome(classify_grpc(GrpcRequest{kWrite, writes, {}, db()}, kScope)) ==
        "ok Write: [create a] [update a]");
  const std::string elsewhere =
      cat({len(3, len(2, "projects/p/databases/other-db/documents/a/1")), len(4, "token")});
  CHECK(outcome(classify_grpc(GrpcRequest{kWrite, elsewhere, {}, db()}, kScope))
            .starts_with("400 INVALID_ARGUMENT"));
  // Unary calls never borrow a database.
  CHECK(outcome(
            classify_grpc(
                GrpcRequest{
                    "/google.firestore.v1.Firestore/Commit", len(2, update_write("a/1")), {}, db()},
                kScope))
            .starts_with("400 INVALID_ARGUMENT"));
}

TEST_CASE("the REMOVE response reads back as TargetChange{REMOVE, [id], cause}") {
  const std::string response = listen_remove_response(12, 7, "denied: payments");
  protobuf::WireReader outer(response);
  protobuf::WireField field;
  REQUIRE(outer.next(field) == protobuf::WireReader::Next::field);
  CHECK(field.number == 2);  // ListenResponse.target_change
  protobuf::WireField after;
  CHECK(outer.next(after) == protobuf::WireReader::Next::end);
  // TargetChange: type 1 = REMOVE (2), target_ids 2 = packed [12], cause 3.
  CHECK(field.bytes ==
        cat({num(1, 2), len(2, varint(12)), len(3, cat({num(1, 7), len(2, "denied: payments")}))}));
}

}  // namespace firewarden::firestore
