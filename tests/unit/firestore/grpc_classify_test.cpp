// About 370 lines: one table of rows per RPC family and per refusal.
//
// gRPC requests -> requirements: every RPC of SPEC §12's table, and every
// refusal of the message reader, through classify_grpc.
#include <catch2/catch.hpp>

#include "classify_support.hpp"
#include "protobuf_encode.hpp"

namespace firewarden::firestore {
namespace {

using namespace testing;
using namespace testing::pb;

struct Row {
  const char* what;
  std::string rpc;
  std::string message;
  std::string expected;  // outcome(): "ok <rpc>: [requirement]…" or "<status> <CODE>: …" prefix
  std::string reason{};  // for a refusal: a part of its message that says why
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    INFO(row.what << " (" << row.rpc << ")");
    const std::string got = outcome(classify_rpc(row.rpc, row.message));
    INFO(got);
    CHECK(got.starts_with(row.expected));
    if (row.expected.starts_with("ok")) CHECK(got == row.expected);
    CHECK(got.find(row.reason) != std::string::npos);
  }
}

TEST_CASE("grpc_rpc names the Firestore RPCs and refuses every other method") {
  const std::vector<std::pair<std::string, RpcKind>> known = {
      {"GetDocument", RpcKind::unary},
      {"ListDocuments", RpcKind::unary},
      {"CreateDocument", RpcKind::unary},
      {"UpdateDocument", RpcKind::unary},
      {"DeleteDocument", RpcKind::unary},
      {"BatchGetDocuments", RpcKind::server_streaming},
      {"BeginTransaction", RpcKind::unary},
      {"Commit", RpcKind::unary},
      {"Rollback", RpcKind::unary},
      {"RunQuery", RpcKind::server_streaming},
      {"RunAggregationQuery", RpcKind::server_streaming},
      {"PartitionQuery", RpcKind::unary},
      {"Listen", RpcKind::bidi_streaming},
      {"Write", RpcKind::bidi_streaming},
      {"ListCollectionIds", RpcKind::unary},
      {"BatchWrite", RpcKind::unary},
  };
  for (const auto& [name, kind] : known) {
    INFO(name);
    const auto rpc = grpc_rpc("/google.firestore.v1.Firestore/" + name);
    REQUIRE(std::holds_alternative<Rpc>(rpc));
    CHECK(std::get<Rpc>(rpc).name == name);
    CHECK(std::get<Rpc>(rpc).kind == kind);
  }
  for (const std::string path :
       {"/google.firestore.v1.Firestore/ExecutePipeline", "/google.firestore.v1.Firestore/",
        "/google.firestore.v1.Firestore/getDocument", "/google.firestore.v1.Firestore/Commit/",
        "/google.firestore.v1beta1.Firestore/Commit",
        "/google.firestore.admin.v1.FirestoreAdmin/ListIndexes",
        "google.firestore.v1.Firestore/Commit", "/google.firestore.v1.Firestore/Commit?x=1"}) {
    INFO(path);
    const auto rpc = grpc_rpc(path);
    REQUIRE(std::holds_alternative<ApiError>(rpc));
    CHECK(std::get<ApiError>(rpc).http_status == 501);
    CHECK(status_of(classify_grpc(GrpcRequest{path, len(1, db()), {}}, kScope)) == 501);
  }
}

TEST_CASE("each gRPC RPC requires what its REST twin does") {
  check_rows({
      {"document read", "GetDocument", len(1, doc("orders/o1")), "ok GetDocument: [get orders]"},
      {"read in a transaction, with a mask", "GetDocument",
       cat({len(1, doc("a/b/c/d")), len(2, len(1, "x")), len(3, "tx")}),
       "ok GetDocument: [get a/b/c]"},
      {"list a collection", "ListDocuments", cat({len(1, root()), len(2, "orders")}),
       "ok ListDocuments: [list orders]"},
      {"list below a document", "ListDocuments",
       cat({len(1, doc("users/u1")), len(2, "orders"), num(3, 10), num(12, 1)}),
       "ok ListDocuments: [list users/u1/orders]"},
      {"list every collection (empty collection_id)", "ListDocuments", len(1, root()),
       "ok ListDocuments: [list *]"},
      {"create", "CreateDocument",
       cat({len(1, root()), len(2, "orders"), len(3, "o9"), len(4, document(""))}),
       "ok CreateDocument: [create orders]"},
      {"update, upsert", "UpdateDocument", len(1, document(doc("orders/o1"))),
       "ok UpdateDocument: [create orders] [update orders]"},
      {"update, exists=true", "UpdateDocument",
       cat({len(1, document(doc("orders/o1"))), len(4, exists(true))}),
       "ok UpdateDocument: [update orders]"},
      {"update, exists=false", "UpdateDocument",
       cat({len(1, document(doc("orders/o1"))), len(4, exists(false))}),
       "ok UpdateDocument: [create orders]"},
      {"update, update_time", "UpdateDocument",
       cat({len(1, document(doc("orders/o1"))), len(2, len(1, "n")),
            len(4, update_time(1700000000))}),
       "ok UpdateDocument: [update orders]"},
      {"delete", "DeleteDocument", len(1, doc("orders/o1")), "ok DeleteDocument: [delete orders]"},
      {"delete with a precondition", "DeleteDocument",
       cat({len(1, doc("orders/o1")), len(2, exists(true))}), "ok DeleteDocument: [delete orders]"},
      {"batch get", "BatchGetDocuments",
       cat({len(1, db()), len(2, doc("a/1")), len(2, doc("b/2")), len(2, doc("a/3"))}),
       "ok BatchGetDocuments: [get a] [get b]"},
      {"batch get starting a transaction", "BatchGetDocuments",
       cat({len(1, db()), len(2, doc("a/1")), len(5, len(3, ""))}),
       "ok BatchGetDocuments: [get a]"},
      {"commit: update, delete, transform", "Commit",
       cat({len(1, db()), len(2, update_write("a/1", exists(true))), len(2, delete_write("b/1")),
            len(2, transform_write("c/1")), len(3, "tx")}),
       "ok Commit: [update a] [delete b] [create c] [update c]"},
      {"batch write with labels", "BatchWrite",
       cat({len(1, db()), len(2, update_write("a/1", exists(false))),
            len(3, cat({len(1, "k"), len(2, "v")}))}),
       "ok BatchWrite: [create a]"},
      {"run query", "RunQuery", cat({len(1, root()), len(2, query_from("orders"))}),
       "ok RunQuery: [query orders]"},
      {"collection group query below a document", "RunQuery",
       cat({len(1, doc("users/u1")), len(2, query_from("items", true))}),
       "ok RunQuery: [query users/u1/**/items]"},
      {"kindless query", "RunQuery", cat({len(1, root()), len(2, query_from(""))}),
       "ok RunQuery: [query *]"},
      {"query with where, order_by, cursors and limit", "RunQuery",
       cat({len(1, root()),
            len(2, cat({query_from("a"), query_from("b"),
                        len(3, len(2, cat({len(1, len(2, "f")), num(2, 5), len(3, int_value(3))}))),
                        len(4, cat({len(1, len(2, "f")), num(2, 2)})),
                        len(7, cat({len(1, int_value(1)), num(2, 1)})), len(5, num(1, 10))})),
            len(7, timestamp(1700000000))}),
       "ok RunQuery: [query a] [query b]"},
      {"aggregation", "RunAggregationQuery",
       cat({len(1, root()),
            len(2, cat({len(1, query_from("orders")), len(3, cat({len(1, ""), len(7, "n")}))}))}),
       "ok RunAggregationQuery: [query orders]"},
      {"partition", "PartitionQuery",
       cat({len(1, root()), len(2, query_from("orders", true)), num(3, 4)}),
       "ok PartitionQuery: [query **/orders]"},
      {"collection ids", "ListCollectionIds", len(1, doc("users/u1")),
       "ok ListCollectionIds: [list_collections users/u1/*]"},
      {"collection ids of the root", "ListCollectionIds", cat({len(1, root()), num(2, 5)}),
       "ok ListCollectionIds: [list_collections *]"},
      {"begin transaction", "BeginTransaction", cat({len(1, db()), len(2, len(3, ""))}),
       "ok BeginTransaction:"},
      {"read-only transaction", "BeginTransaction",
       cat({len(1, db()), len(2, len(2, len(2, timestamp(1700000000))))}), "ok BeginTransaction:"},
      {"rollback", "Rollback", cat({len(1, db()), len(2, "tx")}), "ok Rollback:"},
      {"other served database", "GetDocument",
       len(1, "projects/p/databases/other-db/documents/a/b"), "ok GetDocument: [get a]"},
  });
}

TEST_CASE("Listen: each add_target is one decision, remove_target needs nothing") {
  const std::string query_target = len(
      2,
      cat({len(2, cat({len(1, doc("users/u1")), len(2, query_from("items", true))})), num(5, 7)}));
  const std::string documents_target =
      len(2, cat({len(3, cat({len(2, doc("a/1")), len(2, doc("b/2"))})), len(4, "resume")}));
  check_rows({
      {"query target", "Listen", cat({len(1, db()), query_target}),
       "ok Listen: [query users/u1/**/items]"},
      {"documents target", "Listen", cat({len(1, db()), documents_target}),
       "ok Listen: [get a] [get b]"},
      {"remove_target", "Listen", cat({len(1, db()), num(3, 7)}), "ok Listen:"},
      {"add and remove at once (one oneof)", "Listen", cat({len(1, db()), query_target, num(3, 7)}),
       "400 INVALID_ARGUMENT"},
      {"a target that is neither", "Listen", cat({len(1, db()), len(2, num(5, 1))}),
       "400 INVALID_ARGUMENT"},
      {"query and documents in one target", "Listen",
       cat({len(1, db()), len(2, cat({len(2, cat({len(1, root()), len(2, query_from("a"))})),
                                      len(3, len(2, doc("b/1")))}))}),
       "400 INVALID_ARGUMENT"},
      {"a query parent in another database", "Listen",
       cat({len(1, db()), len(2, len(2, cat({len(1, "projects/p/databases/other-db/documents"),
                                             len(2, query_from("a"))})))}),
       "400 INVALID_ARGUMENT"},
      {"a document in another project", "Listen",
       cat({len(1, db()), len(2, len(3, len(2, "projects/x/databases/(default)/documents/a/1")))}),
       "400 INVALID_ARGUMENT"},
      {"a query without structured_query", "Listen",
       cat({len(1, db()), len(2, len(2, len(1, root())))}), "400 INVALID_ARGUMENT"},
  });
}

TEST_CASE("Write: one WriteRequest is decided as a Commit") {
  check_rows({
      {"handshake", "Write", len(1, db()), "ok Write:"},
      {"writes", "Write",
       cat({len(1, db()), len(2, "stream"), len(3, update_write("a/1")),
            len(3, delete_write("a/2")), len(4, "token")}),
       "ok Write: [create a] [update a] [delete a]"},
      {"a write outside the database", "Write",
       cat({len(1, db()), len(3, len(2, "projects/p/databases/other-db/documents/a/1"))}),
       "400 INVALID_ARGUMENT"},
  });
}

TEST_CASE("names decide the database: outside the scope is 403, outside the request's is 400") {
  check_rows({
      {"another project", "GetDocument", len(1, "projects/x/databases/(default)/documents/a/b"),
       "403 PERMISSION_DENIED"},
      {"an unserved database", "Commit", len(1, "projects/p/databases/nope"),
       "403 PERMISSION_DENIED"},
      {"an encoded (default) is another database", "Commit",
       len(1, "projects/p/databases/%28default%29"), "403 PERMISSION_DENIED"},
      {"batch get entry in another database", "BatchGetDocuments",
       cat({len(1, db()), len(2, "projects/p/databases/other-db/documents/a/1")}),
       "400 INVALID_ARGUMENT"},
      {"commit write in another project", "Commit",
       cat({len(1, db()), len(2, delete_write("a/1")),
            len(2, len(2, "projects/x/databases/(default)/documents/a/1"))}),
       "400 INVALID_ARGUMENT: request field writes[1]"},
      {"no name", "GetDocument", "", "400 INVALID_ARGUMENT"},
      {"a collection as a document name", "GetDocument", len(1, doc("orders")),
       "400 INVALID_ARGUMENT"},
      {"a collection as a parent", "RunQuery",
       cat({len(1, doc("orders")), len(2, query_from("a"))}), "400 INVALID_ARGUMENT"},
      {"a document as a database", "Commit", len(1, doc("a/b")), "400 INVALID_ARGUMENT"},
      {"a reserved id", "GetDocument", len(1, doc("__a__/b")), "400 INVALID_ARGUMENT"},
      {"a dot segment", "GetDocument", len(1, doc("a/..")), "400 INVALID_ARGUMENT"},
      {"an empty segment", "DeleteDocument", len(1, kDb + "/documents//a/b"),
       "400 INVALID_ARGUMENT"},
      {"a reserved collection id", "ListDocuments", cat({len(1, root()), len(2, "__x__")}),
       "400 INVALID_ARGUMENT"},
      {"a create without a collection", "CreateDocument",
       cat({len(1, root()), len(4, document(""))}), "400 INVALID_ARGUMENT"},
      {"a create whose document has a name", "CreateDocument",
       cat({len(1, root()), len(2, "a"), len(4, document(doc("a/1")))}), "400 INVALID_ARGUMENT"},
      {"a create without a document", "CreateDocument", cat({len(1, root()), len(2, "a")}),
       "400 INVALID_ARGUMENT"},
      {"a bad document_id", "CreateDocument",
       cat({len(1, root()), len(2, "a"), len(3, "__id__"), len(4, document(""))}),
       "400 INVALID_ARGUMENT"},
      {"update_time at the epoch", "UpdateDocument",
       cat({len(1, document(doc("a/1"))), len(4, len(2, ""))}), "400 INVALID_ARGUMENT"},
      {"update_time before the epoch", "DeleteDocument",
       cat({len(1, doc("a/1")), len(2, update_time(-5))}), "400 INVALID_ARGUMENT"},
      {"a write naming no document", "Commit", cat({len(1, db()), len(2, len(4, exists(true)))}),
       "400 INVALID_ARGUMENT"},
      {"an update_mask on a delete", "Commit",
       cat({len(1, db()), len(2, cat({delete_write("a/1"), len(3, len(1, "x"))}))}),
       "400 INVALID_ARGUMENT"},
      {"a query without from", "RunQuery", cat({len(1, root()), len(2, "")}),
       "400 INVALID_ARGUMENT"},
      {"a query without structured_query", "RunQuery", len(1, root()), "400 INVALID_ARGUMENT"},
      {"an aggregation without its query", "RunAggregationQuery", cat({len(1, root()), len(2, "")}),
       "400 INVALID_ARGUMENT"},
  });
}

TEST_CASE("the reader refuses what libprotobuf would read another way") {
  const std::string name = len(1, doc("a/1"));
  check_rows({
      {"a singular string given twice (libprotobuf keeps the last)", "GetDocument",
       cat({len(1, doc("public/1")), len(1, doc("secret/1"))}), "400 INVALID_ARGUMENT",
       "name (1): given twice"},
      {"a singular message given twice (libprotobuf merges)", "UpdateDocument",
       cat({len(1, document(doc("a/1"))), len(1, document(doc("b/1")))}), "400 INVALID_ARGUMENT",
       "document (1): given twice"},
      {"a precondition given twice", "UpdateDocument",
       cat({len(1, document(doc("a/1"))), len(4, exists(true)), len(4, exists(false))}),
       "400 INVALID_ARGUMENT", "current_document (4): given twice"},
      {"two members of Write.operation (merged oneof)", "Commit",
       cat({len(1, db()), len(2, cat({update_write("a/1"), delete_write("b/1")}))}),
       "400 INVALID_ARGUMENT", "second member of oneof operation"},
      {"two members of Precondition.condition_type", "DeleteDocument",
       cat({name, len(2, cat({exists(true), update_time(1700000000)}))}), "400 INVALID_ARGUMENT",
       "second member of oneof condition_type"},
      {"two members of consistency_selector", "GetDocument",
       cat({name, len(3, "tx"), len(5, timestamp(1700000000))}), "400 INVALID_ARGUMENT",
       "second member of oneof consistency_selector"},
      {"a filter given twice, deep in a query", "RunQuery",
       cat({len(1, root()),
            len(2, cat({query_from("a"), len(3, len(3, num(1, 3))), len(3, len(3, num(1, 3)))}))}),
       "400 INVALID_ARGUMENT", "where (3): given twice"},
      {"a FieldFilter value given twice (user data, still singular)", "RunQuery",
       cat({len(1, root()),
            len(2, cat({query_from("a"),
                        len(3, len(2, cat({len(3, int_value(1)), len(3, int_value(2))})))}))}),
       "400 INVALID_ARGUMENT", "value (3): given twice"},
      {"two transforms of one FieldTransform", "Commit",
       cat({len(1, db()),
            len(2, len(6, cat({len(1, doc("a/1")), len(2, cat({len(1, "n"), len(3, int_value(1)),
                                                               len(4, int_value(2))}))})))}),
       "400 INVALID_ARGUMENT", "second member of oneof transform_type"},
      {"an unknown field number", "GetDocument", cat({name, num(4, 1)}), "400 INVALID_ARGUMENT",
       "unknown field number 4"},
      {"an unknown field deep inside", "Commit",
       cat({len(1, db()), len(2, len(1, cat({len(1, doc("a/1")), num(9, 1)})))}),
       "400 INVALID_ARGUMENT", "unknown field number 9"},
      {"a group", "GetDocument", cat({name, tag(2, 3), tag(2, 4)}), "400 INVALID_ARGUMENT",
       "group wire types"},
      {"an end group", "GetDocument", cat({name, tag(2, 4)}), "400 INVALID_ARGUMENT",
       "group wire types"},
      {"wire type 6", "GetDocument", cat({name, tag(2, 6)}), "400 INVALID_ARGUMENT",
       "unassigned wire type"},
      {"a string sent as a varint", "GetDocument", num(1, 5), "400 INVALID_ARGUMENT",
       "wrong wire type 0"},
      {"a bool sent length-delimited (packed)", "Commit",
       cat({len(1, db()), len(2, cat({delete_write("a/1"), len(4, len(1, "\x01"))}))}),
       "400 INVALID_ARGUMENT", "wrong wire type 2"},
      {"a bool of 2", "DeleteDocument", cat({name, len(2, num(1, 2))}), "400 INVALID_ARGUMENT",
       "0 or 1"},
      {"an int32 beyond 32 bits", "ListDocuments",
       cat({len(1, root()), len(2, "a"), num(3, std::uint64_t{1} << 32)}), "400 INVALID_ARGUMENT",
       "out of int32 range"},
      {"a fixed64 where a varint belongs", "ListDocuments",
       cat({len(1, root()), tag(3, 1), std::string(8, '\0')}), "400 INVALID_ARGUMENT",
       "wrong wire type 1"},
      {"a name that is not UTF-8", "GetDocument", len(1, doc("a/\xff")), "400 INVALID_ARGUMENT",
       "not valid UTF-8"},
      {"truncated length", "GetDocument", name.substr(0, name.size() - 1), "400 INVALID_ARGUMENT",
       "truncated length-delimited"},
      {"truncated varint", "ListDocuments", cat({len(1, root()), tag(3, 0), "\x80"}),
       "400 INVALID_ARGUMENT", "truncated varint"},
      {"padded varint", "ListDocuments",
       cat({len(1, root()), tag(3, 0), std::string("\x81\x00", 2)}), "400 INVALID_ARGUMENT",
       "overlong varint"},
      {"a varint over 10 bytes", "ListDocuments",
       cat({len(1, root()), tag(3, 0), std::string(10, '\xff'), std::string(1, '\x01')}),
       "400 INVALID_ARGUMENT", "beyond 64 bits"},
      {"field number 0", "GetDocument", cat({name, std::string("\x02\x00", 2)}),
       "400 INVALID_ARGUMENT", "field number out of range"},
  });
}

TEST_CASE("routing metadata must name the message's database, and is rebuilt") {
  const std::string message = len(1, doc("a/1"));
  const auto ok = classify_rpc(
      "GetDocument", message,
      {{"x-goog-request-params", "name=projects%2Fp%2Fdatabases%2F(default)%2Fdocuments%2Fa%2F1"},
       {"google-cloud-resource-prefix", "projects/p/databases/(default)"}});
  REQUIRE(std::holds_alternative<RequestModel>(ok));
  const auto& model = std::get<RequestModel>(ok);
  CHECK(model.upstream_request_params == "database=projects%2Fp%2Fdatabases%2F(default)");
  CHECK(model.upstream_resource_prefix == "projects/p/databases/(default)");
  CHECK(model.upstream_target == "/google.firestore.v1.Firestore/GetDocument");
  CHECK(model.upstream_body == message);
  CHECK(model.project == "p");
  CHECK(model.database == "(default)");
  CHECK(model.documents == std::vector<std::string>{"a/1"});

  CHECK(status_of(classify_rpc(
            "GetDocument", message,
            {{"x-goog-request-params", "database=projects%2Fp%2Fdatabases%2Fother-db"}})) == 400);
  CHECK(status_of(classify_rpc(
            "GetDocument", message,
            {{"google-cloud-resource-prefix", "projects/x/databases/(default)"}})) == 400);
  CHECK(status_of(classify_rpc("GetDocument", message, {{"grpc-encoding", "gzip"}})) == 400);

  // gRPC metadata is multi-valued (the Go SDK sends x-goog-request-params
  // twice on BatchGetDocuments): every value must agree, then one is sent.
  const std::string params = "database=projects%2Fp%2Fdatabases%2F(default)";
  const auto twice =
      classify_rpc("GetDocument", message,
                   {{"x-goog-request-params", params}, {"x-goog-request-params", params}});
  REQUIRE(std::holds_alternative<RequestModel>(twice));
  CHECK(std::get<RequestModel>(twice).upstream_request_params == params);
  CHECK(status_of(classify_rpc(
            "GetDocument", message,
            {{"x-goog-request-params", params},
             {"x-goog-request-params", "database=projects%2Fp%2Fdatabases%2Fother-db"}})) == 400);
  CHECK(status_of(classify_rpc(
            "GetDocument", message,
            {{"google-cloud-resource-prefix", "projects/p/databases/(default)"},
             {"google-cloud-resource-prefix", "projects/x/databases/(default)"}})) == 400);
  CHECK(status_of(classify_rpc("GetDocument", message, {{"grpc-encoding", "identity"}})) == 200);
}

TEST_CASE("a commit's documents are listed once each, in order") {
  const auto result =
      classify_rpc("Commit", cat({len(1, db()), len(2, update_write("a/1")),
                                  len(2, delete_write("b/2")), len(2, transform_write("a/1"))}));
  REQUIRE(std::holds_alternative<RequestModel>(result));
  CHECK(std::get<RequestModel>(result).documents == std::vector<std::string>{"a/1", "b/2"});
}

}  // namespace
}  // namespace firewarden::firestore
