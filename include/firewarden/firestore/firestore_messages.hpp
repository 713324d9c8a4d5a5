#pragma once
// The Firestore v1 request messages a REST body can carry, as json_schema.hpp
// reads them (google/firestore/v1/{firestore,document,query,write,common}.proto).
// Path-bound fields (database, parent, name) are not in the bodies' schemas:
// body "*" would let them override the checked URL.
#include "firewarden/firestore/json_schema.hpp"

namespace firewarden::firestore::messages {

extern const MessageSchema document;  // createDocument and patch bodies
extern const MessageSchema batch_get_documents_request;
extern const MessageSchema begin_transaction_request;
extern const MessageSchema commit_request;
extern const MessageSchema batch_write_request;
extern const MessageSchema rollback_request;
extern const MessageSchema run_query_request;
extern const MessageSchema run_aggregation_query_request;
extern const MessageSchema partition_query_request;
extern const MessageSchema list_collection_ids_request;

}  // namespace firewarden::firestore::messages
