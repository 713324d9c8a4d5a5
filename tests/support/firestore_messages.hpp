#pragma once
// Firestore request messages (google.firestore.v1) as a gRPC SDK would send
// them, for the tests that call firewarden over gRPC (well-formed; the
// malformed ones are written with ProtoWriter in the test that needs them).
#include <cstdint>
#include <string>

#include "firewarden/firestore/proto_writer.hpp"
#include "firewarden_instance.hpp"

namespace firewarden::testing {

using firestore::protobuf::ProtoWriter;

// "projects/P/databases/(default)"
inline std::string database(const FirewardenInstance& fw) {
  return "projects/" + fw.options().project + "/databases/(default)";
}

// Document{name, fields{"total": integer_value 3}}
inline ProtoWriter document(const std::string& name) {
  ProtoWriter value;
  value.varint(2, 3);  // Value.integer_value
  ProtoWriter entry;
  entry.string(1, "total").message(2, value);
  ProtoWriter doc;
  doc.string(1, name).message(2, entry);
  return doc;
}

// CommitRequest{database, writes: [Write{update: document}]}
inline std::string commit_update(const FirewardenInstance& fw, const std::string& path) {
  ProtoWriter write;
  write.message(1, document(fw.document_name(path)));
  ProtoWriter commit;
  commit.string(1, database(fw)).message(2, write);
  return commit.bytes();
}

// {parent: documents, structured_query{from: [{collection_id}]}}: a
// RunQueryRequest, and a Listen QueryTarget too (same field numbers).
inline ProtoWriter query_of(const FirewardenInstance& fw, const std::string& collection) {
  ProtoWriter selector;
  selector.string(2, collection);
  ProtoWriter query;
  query.message(2, selector);
  ProtoWriter request;
  request.string(1, database(fw) + "/documents").message(2, query);
  return request;
}

inline std::string run_query(const FirewardenInstance& fw, const std::string& collection) {
  return query_of(fw, collection).bytes();
}

// ListenRequest{database, add_target: Target{query: {parent,
// structured_query{from: [{collection_id}]}}, target_id}}
inline std::string add_query_target(const FirewardenInstance& fw, const std::string& collection,
                                    std::int32_t id) {
  ProtoWriter target;
  target.message(2, query_of(fw, collection)).int32(5, id);
  return ProtoWriter().string(1, database(fw)).message(2, target).bytes();
}

// GetDocumentRequest{name}
inline std::string get_document(const FirewardenInstance& fw, const std::string& path) {
  return ProtoWriter().string(1, fw.document_name(path)).bytes();
}

}  // namespace firewarden::testing
