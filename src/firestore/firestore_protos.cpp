// About 400 lines on purpose: one table per message, all in one file, so the
// schema reads as the .proto files do.
//
// Every request message is read at every level that is schema, even where
// it carries no authorization meaning (a filter, an order, a cursor): a
// duplicate or merged-oneof trick there would make Google execute something
// other than what a reader of the same bytes sees, so the same strictness
// applies. What stays unread is user data: a Value (a filter's operand, a
// cursor position, a transform's operand), the entries of Document.fields
// and of the labels maps. Their framing is checked and, at the field level,
// the singular and oneof rules still hold (a FieldFilter.value given twice
// is refused, although neither is interpreted).
#include "firewarden/firestore/firestore_protos.hpp"

#include <array>

namespace firewarden::firestore::protos {

using protobuf::Cardinality;
using protobuf::FieldSpec;
using K = protobuf::FieldKind;

namespace {

constexpr FieldSpec field(std::uint32_t number, std::string_view name, K kind,
                          std::uint8_t oneof = 0) {
  return {number, name, kind, Cardinality::singular, oneof, nullptr};
}
constexpr FieldSpec repeated(std::uint32_t number, std::string_view name, K kind) {
  return {number, name, kind, Cardinality::repeated, 0, nullptr};
}
constexpr FieldSpec nested(std::uint32_t number, std::string_view name, const MessageSpec& message,
                           std::uint8_t oneof = 0) {
  return {number, name, K::message, Cardinality::singular, oneof, &message};
}
constexpr FieldSpec repeated_nested(std::uint32_t number, std::string_view name,
                                    const MessageSpec& message) {
  return {number, name, K::message, Cardinality::repeated, 0, &message};
}

}  // namespace

// Filter contains CompositeFilter contains Filter: declared before defined.
extern const MessageSpec filter;

namespace {

constexpr auto kConsistencySelector = std::to_array<std::string_view>({"consistency_selector"});
constexpr auto kQueryTypeAndConsistency =
    std::to_array<std::string_view>({"query_type", "consistency_selector"});

// google/protobuf/timestamp.proto, wrappers.proto
constexpr auto kTimestampFields = std::to_array<FieldSpec>({
    field(1, "seconds", K::int64),
    field(2, "nanos", K::int32),
});
constinit const MessageSpec kTimestamp{"google.protobuf.Timestamp", kTimestampFields};
constexpr auto kInt32ValueFields = std::to_array<FieldSpec>({field(1, "value", K::int32)});
constinit const MessageSpec kInt32Value{"google.protobuf.Int32Value", kInt32ValueFields};
constexpr auto kInt64ValueFields = std::to_array<FieldSpec>({field(1, "value", K::int64)});
constinit const MessageSpec kInt64Value{"google.protobuf.Int64Value", kInt64ValueFields};
constexpr auto kDoubleValueFields = std::to_array<FieldSpec>({field(1, "value", K::double_type)});
constinit const MessageSpec kDoubleValue{"google.protobuf.DoubleValue", kDoubleValueFields};

// common.proto
constexpr auto kDocumentMaskFields =
    std::to_array<FieldSpec>({repeated(1, "field_paths", K::string)});
constinit const MessageSpec kDocumentMask{"google.firestore.v1.DocumentMask", kDocumentMaskFields};

constexpr auto kConditionType = std::to_array<std::string_view>({"condition_type"});
constexpr auto kPreconditionFields = std::to_array<FieldSpec>({
    field(1, "exists", K::boolean, 1),
    nested(2, "update_time", kTimestamp, 1),
});
constinit const MessageSpec kPrecondition{"google.firestore.v1.Precondition", kPreconditionFields,
                                          kConditionType};

constexpr auto kReadWriteFields =
    std::to_array<FieldSpec>({field(1, "retry_transaction", K::bytes)});
constinit const MessageSpec kReadWrite{"google.firestore.v1.TransactionOptions.ReadWrite",
                                       kReadWriteFields};
constexpr auto kReadOnlyFields = std::to_array<FieldSpec>({nested(2, "read_time", kTimestamp, 1)});
constinit const MessageSpec kReadOnly{"google.firestore.v1.TransactionOptions.ReadOnly",
                                      kReadOnlyFields, kConsistencySelector};
constexpr auto kMode = std::to_array<std::string_view>({"mode"});
constexpr auto kTransactionOptionsFields = std::to_array<FieldSpec>({
    nested(2, "read_only", kReadOnly, 1),
    nested(3, "read_write", kReadWrite, 1),
});
constinit const MessageSpec kTransactionOptions{"google.firestore.v1.TransactionOptions",
                                                kTransactionOptionsFields, kMode};

// document.proto: fields is map<string, Value>, user data.
constexpr auto kDocumentFields = std::to_array<FieldSpec>({
    field(1, "name", K::string),
    repeated(2, "fields", K::user_data),
    nested(3, "create_time", kTimestamp),
    nested(4, "update_time", kTimestamp),
});
constinit const MessageSpec kDocument{"google.firestore.v1.Document", kDocumentFields};

// write.proto. FieldTransform's operands are Values and ArrayValues: user data.
constexpr auto kTransformType = std::to_array<std::string_view>({"transform_type"});
constexpr auto kFieldTransformFields = std::to_array<FieldSpec>({
    field(1, "field_path", K::string),
    field(2, "set_to_server_value", K::int32, 1),
    field(3, "increment", K::user_data, 1),
    field(4, "maximum", K::user_data, 1),
    field(5, "minimum", K::user_data, 1),
    field(6, "append_missing_elements", K::user_data, 1),
    field(7, "remove_all_from_array", K::user_data, 1),
});
constinit const MessageSpec kFieldTransform{"google.firestore.v1.DocumentTransform.FieldTransform",
                                            kFieldTransformFields, kTransformType};
constexpr auto kDocumentTransformFields = std::to_array<FieldSpec>({
    field(1, "document", K::string),
    repeated_nested(2, "field_transforms", kFieldTransform),
});
constinit const MessageSpec kDocumentTransform{"google.firestore.v1.DocumentTransform",
                                               kDocumentTransformFields};
constexpr auto kOperation = std::to_array<std::string_view>({"operation"});
constexpr auto kWriteFields = std::to_array<FieldSpec>({
    nested(1, "update", kDocument, 1),
    field(2, "delete", K::string, 1),
    nested(6, "transform", kDocumentTransform, 1),
    nested(3, "update_mask", kDocumentMask),
    repeated_nested(7, "update_transforms", kFieldTransform),
    nested(4, "current_document", kPrecondition),
});
constinit const MessageSpec kWrite{"google.firestore.v1.Write", kWriteFields, kOperation};

// query.proto
constexpr auto kFieldReferenceFields =
    std::to_array<FieldSpec>({field(2, "field_path", K::string)});
constinit const MessageSpec kFieldReference{"google.firestore.v1.StructuredQuery.FieldReference",
                                            kFieldReferenceFields};
constexpr auto kProjectionFields =
    std::to_array<FieldSpec>({repeated_nested(2, "fields", kFieldReference)});
constinit const MessageSpec kProjection{"google.firestore.v1.StructuredQuery.Projection",
                                        kProjectionFields};
constexpr auto kCollectionSelectorFields = std::to_array<FieldSpec>({
    field(2, "collection_id", K::string),
    field(3, "all_descendants", K::boolean),
});
constinit const MessageSpec kCollectionSelector{
    "google.firestore.v1.StructuredQuery.CollectionSelector", kCollectionSelectorFields};
constexpr auto kCompositeFilterFields = std::to_array<FieldSpec>({
    field(1, "op", K::int32),
    repeated_nested(2, "filters", filter),
});
constinit const MessageSpec kCompositeFilter{"google.firestore.v1.StructuredQuery.CompositeFilter",
                                             kCompositeFilterFields};
constexpr auto kFieldFilterFields = std::to_array<FieldSpec>({
    nested(1, "field", kFieldReference),
    field(2, "op", K::int32),
    field(3, "value", K::user_data),
});
constinit const MessageSpec kFieldFilter{"google.firestore.v1.StructuredQuery.FieldFilter",
                                         kFieldFilterFields};
constexpr auto kOperandType = std::to_array<std::string_view>({"operand_type"});
constexpr auto kUnaryFilterFields = std::to_array<FieldSpec>({
    field(1, "op", K::int32),
    nested(2, "field", kFieldReference, 1),
});
constinit const MessageSpec kUnaryFilter{"google.firestore.v1.StructuredQuery.UnaryFilter",
                                         kUnaryFilterFields, kOperandType};
constexpr auto kFilterType = std::to_array<std::string_view>({"filter_type"});
constexpr auto kFilterFields = std::to_array<FieldSpec>({
    nested(1, "composite_filter", kCompositeFilter, 1),
    nested(2, "field_filter", kFieldFilter, 1),
    nested(3, "unary_filter", kUnaryFilter, 1),
});
}  // namespace
constinit const MessageSpec filter{"google.firestore.v1.StructuredQuery.Filter", kFilterFields,
                                   kFilterType};
namespace {
constexpr auto kOrderFields = std::to_array<FieldSpec>({
    nested(1, "field", kFieldReference),
    field(2, "direction", K::int32),
});
constinit const MessageSpec kOrder{"google.firestore.v1.StructuredQuery.Order", kOrderFields};
constexpr auto kCursorFields = std::to_array<FieldSpec>({
    repeated(1, "values", K::user_data),
    field(2, "before", K::boolean),
});
constinit const MessageSpec kCursor{"google.firestore.v1.Cursor", kCursorFields};
constexpr auto kFindNearestFields = std::to_array<FieldSpec>({
    nested(1, "vector_field", kFieldReference),
    field(2, "query_vector", K::user_data),
    field(3, "distance_measure", K::int32),
    nested(4, "limit", kInt32Value),
    field(5, "distance_result_field", K::string),
    nested(6, "distance_threshold", kDoubleValue),
});
constinit const MessageSpec kFindNearest{"google.firestore.v1.StructuredQuery.FindNearest",
                                         kFindNearestFields};
constexpr auto kStructuredQueryFields = std::to_array<FieldSpec>({
    nested(1, "select", kProjection),
    repeated_nested(2, "from", kCollectionSelector),
    nested(3, "where", filter),
    repeated_nested(4, "order_by", kOrder),
    nested(7, "start_at", kCursor),
    nested(8, "end_at", kCursor),
    field(6, "offset", K::int32),
    nested(5, "limit", kInt32Value),
    nested(9, "find_nearest", kFindNearest),
});
constinit const MessageSpec kStructuredQuery{"google.firestore.v1.StructuredQuery",
                                             kStructuredQueryFields};

constexpr auto kCountFields = std::to_array<FieldSpec>({nested(1, "up_to", kInt64Value)});
constinit const MessageSpec kCount{
    "google.firestore.v1.StructuredAggregationQuery.Aggregation.Count", kCountFields};
constexpr auto kFieldAggregationFields =
    std::to_array<FieldSpec>({nested(1, "field", kFieldReference)});
constinit const MessageSpec kSum{"google.firestore.v1.StructuredAggregationQuery.Aggregation.Sum",
                                 kFieldAggregationFields};
constinit const MessageSpec kAvg{"google.firestore.v1.StructuredAggregationQuery.Aggregation.Avg",
                                 kFieldAggregationFields};
constexpr auto kOperator = std::to_array<std::string_view>({"operator"});
constexpr auto kAggregationFields = std::to_array<FieldSpec>({
    nested(1, "count", kCount, 1),
    nested(2, "sum", kSum, 1),
    nested(3, "avg", kAvg, 1),
    field(7, "alias", K::string),
});
constinit const MessageSpec kAggregation{
    "google.firestore.v1.StructuredAggregationQuery.Aggregation", kAggregationFields, kOperator};
constexpr auto kQueryType = std::to_array<std::string_view>({"query_type"});
constexpr auto kStructuredAggregationQueryFields = std::to_array<FieldSpec>({
    nested(1, "structured_query", kStructuredQuery, 1),
    repeated_nested(3, "aggregations", kAggregation),
});
constinit const MessageSpec kStructuredAggregationQuery{
    "google.firestore.v1.StructuredAggregationQuery", kStructuredAggregationQueryFields,
    kQueryType};

// query_profile.proto
constexpr auto kExplainOptionsFields = std::to_array<FieldSpec>({field(1, "analyze", K::boolean)});
constinit const MessageSpec kExplainOptions{"google.firestore.v1.ExplainOptions",
                                            kExplainOptionsFields};

// firestore.proto: Listen's Target.
constexpr auto kDocumentsTargetFields =
    std::to_array<FieldSpec>({repeated(2, "documents", K::string)});
constinit const MessageSpec kDocumentsTarget{"google.firestore.v1.Target.DocumentsTarget",
                                             kDocumentsTargetFields};
constexpr auto kQueryTargetFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    nested(2, "structured_query", kStructuredQuery, 1),
});
constinit const MessageSpec kQueryTarget{"google.firestore.v1.Target.QueryTarget",
                                         kQueryTargetFields, kQueryType};
constexpr auto kTargetOneofs = std::to_array<std::string_view>({"target_type", "resume_type"});
constexpr auto kTargetFields = std::to_array<FieldSpec>({
    nested(2, "query", kQueryTarget, 1),
    nested(3, "documents", kDocumentsTarget, 1),
    field(4, "resume_token", K::bytes, 2),
    nested(11, "read_time", kTimestamp, 2),
    field(5, "target_id", K::int32),
    field(6, "once", K::boolean),
    nested(12, "expected_count", kInt32Value),
});
constinit const MessageSpec kTarget{"google.firestore.v1.Target", kTargetFields, kTargetOneofs};

// firestore.proto: the request messages.
constexpr auto kGetDocumentFields = std::to_array<FieldSpec>({
    field(1, "name", K::string),
    nested(2, "mask", kDocumentMask),
    field(3, "transaction", K::bytes, 1),
    nested(5, "read_time", kTimestamp, 1),
});
constexpr auto kListDocumentsFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    field(2, "collection_id", K::string),
    field(3, "page_size", K::int32),
    field(4, "page_token", K::string),
    field(6, "order_by", K::string),
    nested(7, "mask", kDocumentMask),
    field(8, "transaction", K::bytes, 1),
    nested(10, "read_time", kTimestamp, 1),
    field(12, "show_missing", K::boolean),
});
constexpr auto kCreateDocumentFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    field(2, "collection_id", K::string),
    field(3, "document_id", K::string),
    nested(4, "document", kDocument),
    nested(5, "mask", kDocumentMask),
});
constexpr auto kUpdateDocumentFields = std::to_array<FieldSpec>({
    nested(1, "document", kDocument),
    nested(2, "update_mask", kDocumentMask),
    nested(3, "mask", kDocumentMask),
    nested(4, "current_document", kPrecondition),
});
constexpr auto kDeleteDocumentFields = std::to_array<FieldSpec>({
    field(1, "name", K::string),
    nested(2, "current_document", kPrecondition),
});
constexpr auto kBatchGetDocumentsFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    repeated(2, "documents", K::string),
    nested(3, "mask", kDocumentMask),
    field(4, "transaction", K::bytes, 1),
    nested(5, "new_transaction", kTransactionOptions, 1),
    nested(7, "read_time", kTimestamp, 1),
});
constexpr auto kBeginTransactionFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    nested(2, "options", kTransactionOptions),
});
constexpr auto kCommitFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    repeated_nested(2, "writes", kWrite),
    field(3, "transaction", K::bytes),
});
constexpr auto kRollbackFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    field(2, "transaction", K::bytes),
});
constexpr auto kRunQueryFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    nested(2, "structured_query", kStructuredQuery, 1),
    field(5, "transaction", K::bytes, 2),
    nested(6, "new_transaction", kTransactionOptions, 2),
    nested(7, "read_time", kTimestamp, 2),
    nested(10, "explain_options", kExplainOptions),
});
constexpr auto kRunAggregationQueryFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    nested(2, "structured_aggregation_query", kStructuredAggregationQuery, 1),
    field(4, "transaction", K::bytes, 2),
    nested(5, "new_transaction", kTransactionOptions, 2),
    nested(6, "read_time", kTimestamp, 2),
    nested(8, "explain_options", kExplainOptions),
});
constexpr auto kPartitionQueryFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    nested(2, "structured_query", kStructuredQuery, 1),
    field(3, "partition_count", K::int64),
    field(4, "page_token", K::string),
    field(5, "page_size", K::int32),
    nested(6, "read_time", kTimestamp, 2),
});
constexpr auto kTargetChange = std::to_array<std::string_view>({"target_change"});
constexpr auto kListenFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    nested(2, "add_target", kTarget, 1),
    field(3, "remove_target", K::int32, 1),
    repeated(4, "labels", K::user_data),
});
constexpr auto kWriteRequestFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    field(2, "stream_id", K::string),
    repeated_nested(3, "writes", kWrite),
    field(4, "stream_token", K::bytes),
    repeated(5, "labels", K::user_data),
});
constexpr auto kListCollectionIdsFields = std::to_array<FieldSpec>({
    field(1, "parent", K::string),
    field(2, "page_size", K::int32),
    field(3, "page_token", K::string),
    nested(4, "read_time", kTimestamp, 1),
});
constexpr auto kBatchWriteFields = std::to_array<FieldSpec>({
    field(1, "database", K::string),
    repeated_nested(2, "writes", kWrite),
    repeated(3, "labels", K::user_data),
});

}  // namespace

constinit const MessageSpec get_document_request{"google.firestore.v1.GetDocumentRequest",
                                                 kGetDocumentFields, kConsistencySelector};
constinit const MessageSpec list_documents_request{"google.firestore.v1.ListDocumentsRequest",
                                                   kListDocumentsFields, kConsistencySelector};
constinit const MessageSpec create_document_request{"google.firestore.v1.CreateDocumentRequest",
                                                    kCreateDocumentFields};
constinit const MessageSpec update_document_request{"google.firestore.v1.UpdateDocumentRequest",
                                                    kUpdateDocumentFields};
constinit const MessageSpec delete_document_request{"google.firestore.v1.DeleteDocumentRequest",
                                                    kDeleteDocumentFields};
constinit const MessageSpec batch_get_documents_request{
    "google.firestore.v1.BatchGetDocumentsRequest", kBatchGetDocumentsFields, kConsistencySelector};
constinit const MessageSpec begin_transaction_request{"google.firestore.v1.BeginTransactionRequest",
                                                      kBeginTransactionFields};
constinit const MessageSpec commit_request{"google.firestore.v1.CommitRequest", kCommitFields};
constinit const MessageSpec rollback_request{"google.firestore.v1.RollbackRequest",
                                             kRollbackFields};
constinit const MessageSpec run_query_request{"google.firestore.v1.RunQueryRequest",
                                              kRunQueryFields, kQueryTypeAndConsistency};
constinit const MessageSpec run_aggregation_query_request{
    "google.firestore.v1.RunAggregationQueryRequest", kRunAggregationQueryFields,
    kQueryTypeAndConsistency};
constinit const MessageSpec partition_query_request{
    "google.firestore.v1.PartitionQueryRequest", kPartitionQueryFields, kQueryTypeAndConsistency};
constinit const MessageSpec listen_request{"google.firestore.v1.ListenRequest", kListenFields,
                                           kTargetChange};
constinit const MessageSpec write_request{"google.firestore.v1.WriteRequest", kWriteRequestFields};
constinit const MessageSpec list_collection_ids_request{
    "google.firestore.v1.ListCollectionIdsRequest", kListCollectionIdsFields, kConsistencySelector};
constinit const MessageSpec batch_write_request{"google.firestore.v1.BatchWriteRequest",
                                                kBatchWriteFields};

}  // namespace firewarden::firestore::protos
