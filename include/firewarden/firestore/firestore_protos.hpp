#pragma once
// The protobuf request messages of google.firestore.v1.Firestore, as tables
// for the strict wire reader (protobuf_wire.hpp). Field numbers from the
// .proto files the @google-cloud/firestore npm package ships
// (google/firestore/v1/{firestore,common,document,query,write,query_profile}.proto).
#include "firewarden/firestore/protobuf_wire.hpp"

namespace firewarden::firestore::protos {

using protobuf::MessageSpec;

extern const MessageSpec get_document_request;
extern const MessageSpec list_documents_request;
extern const MessageSpec create_document_request;
extern const MessageSpec update_document_request;
extern const MessageSpec delete_document_request;
extern const MessageSpec batch_get_documents_request;
extern const MessageSpec begin_transaction_request;
extern const MessageSpec commit_request;
extern const MessageSpec rollback_request;
extern const MessageSpec run_query_request;
extern const MessageSpec run_aggregation_query_request;
extern const MessageSpec partition_query_request;
extern const MessageSpec listen_request;
extern const MessageSpec write_request;
extern const MessageSpec list_collection_ids_request;
extern const MessageSpec batch_write_request;

}  // namespace firewarden::firestore::protos
