#include "firewarden/firestore/firestore_messages.hpp"

#include <array>

namespace firewarden::firestore::messages {
namespace {

using T = FieldType;

constexpr FieldSchema scalar(std::string_view name, FieldType type, std::string_view oneof = {}) {
  return {name, type, nullptr, false, oneof};
}
constexpr FieldSchema repeated_scalar(std::string_view name, FieldType type) {
  return {name, type, nullptr, true, {}};
}
constexpr FieldSchema nested(std::string_view name, const MessageSchema& message,
                             std::string_view oneof = {}) {
  return {name, T::message, &message, false, oneof};
}
constexpr FieldSchema repeated_nested(std::string_view name, const MessageSchema& message) {
  return {name, T::message, &message, true, {}};
}

}  // namespace

// Schemas refer to each other (Value contains maps of Values, Filter contains
// Filters), so each is declared before any is defined. All are constant-
// initialized: no static initialization order to worry about.
extern const MessageSchema value;
extern const MessageSchema filter;
extern const MessageSchema field_transform;

namespace {

constexpr std::string_view kValueType[] = {"value_type"};
constexpr std::string_view kOperation[] = {"operation"};
constexpr std::string_view kTransformType[] = {"transform_type"};
constexpr std::string_view kFilterType[] = {"filter_type"};
constexpr std::string_view kOperator[] = {"operator"};
constexpr std::string_view kQueryType[] = {"query_type"};

// google/type/latlng.proto
constexpr FieldSchema kLatLngFields[] = {
    scalar("latitude", T::double_type),
    scalar("longitude", T::double_type),
};
constinit const MessageSchema kLatLng{"LatLng", kLatLngFields};

// document.proto
constexpr FieldSchema kArrayValueFields[] = {repeated_nested("values", value)};
constinit const MessageSchema kArrayValue{"ArrayValue", kArrayValueFields};

constexpr FieldSchema kMapValueFields[] = {{"fields", T::value_map, &value}};
constinit const MessageSchema kMapValue{"MapValue", kMapValueFields};

constexpr FieldSchema kValueFields[] = {
    scalar("nullValue", T::null_value, "value_type"),
    scalar("booleanValue", T::boolean, "value_type"),
    scalar("integerValue", T::int64, "value_type"),
    scalar("doubleValue", T::double_type, "value_type"),
    scalar("timestampValue", T::timestamp, "value_type"),
    scalar("stringValue", T::string, "value_type"),
    scalar("bytesValue", T::bytes, "value_type"),
    scalar("referenceValue", T::string, "value_type"),
    nested("geoPointValue", kLatLng, "value_type"),
    nested("arrayValue", kArrayValue, "value_type"),
    nested("mapValue", kMapValue, "value_type"),
};

constexpr FieldSchema kDocumentFields[] = {
    scalar("name", T::string),
    {"fields", T::value_map, &value},
    scalar("createTime", T::timestamp),
    scalar("updateTime", T::timestamp),
};

// common.proto
constexpr FieldSchema kDocumentMaskFields[] = {repeated_scalar("fieldPaths", T::string)};
constinit const MessageSchema kDocumentMask{"DocumentMask", kDocumentMaskFields};

constexpr FieldSchema kPreconditionFields[] = {
    scalar("exists", T::boolean, "condition_type"),
    scalar("updateTime", T::timestamp, "condition_type"),
};
constinit const MessageSchema kPrecondition{"Precondition", kPreconditionFields};

constexpr FieldSchema kReadOnlyFields[] = {scalar("readTime", T::timestamp)};
constinit const MessageSchema kReadOnly{"TransactionOptions.ReadOnly", kReadOnlyFields};

constexpr FieldSchema kReadWriteFields[] = {scalar("retryTransaction", T::bytes)};
constinit const MessageSchema kReadWrite{"TransactionOptions.ReadWrite", kReadWriteFields};

constexpr FieldSchema kTransactionOptionsFields[] = {
    nested("readOnly", kReadOnly, "mode"),
    nested("readWrite", kReadWrite, "mode"),
};
constinit const MessageSchema kTransactionOptions{"TransactionOptions", kTransactionOptionsFields};

// write.proto
constexpr FieldSchema kFieldTransformFields[] = {
    scalar("fieldPath", T::string),
    scalar("setToServerValue", T::enumeration, "transform_type"),
    nested("increment", value, "transform_type"),
    nested("maximum", value, "transform_type"),
    nested("minimum", value, "transform_type"),
    nested("appendMissingElements", kArrayValue, "transform_type"),
    nested("removeAllFromArray", kArrayValue, "transform_type"),
};

constexpr FieldSchema kDocumentTransformFields[] = {
    scalar("document", T::string),
    repeated_nested("fieldTransforms", field_transform),
};
constinit const MessageSchema kDocumentTransform{"DocumentTransform", kDocumentTransformFields};

constexpr FieldSchema kWriteFields[] = {
    nested("update", document, "operation"),
    scalar("delete", T::string, "operation"),
    nested("transform", kDocumentTransform, "operation"),
    nested("updateMask", kDocumentMask),
    repeated_nested("updateTransforms", field_transform),
    nested("currentDocument", kPrecondition),
};
constinit const MessageSchema kWrite{"Write", kWriteFields, kOperation};

// query.proto
constexpr FieldSchema kFieldReferenceFields[] = {scalar("fieldPath", T::string)};
constinit const MessageSchema kFieldReference{"FieldReference", kFieldReferenceFields};

constexpr FieldSchema kProjectionFields[] = {repeated_nested("fields", kFieldReference)};
constinit const MessageSchema kProjection{"Projection", kProjectionFields};

constexpr FieldSchema kCollectionSelectorFields[] = {
    scalar("collectionId", T::string),
    scalar("allDescendants", T::boolean),
};
constinit const MessageSchema kCollectionSelector{"CollectionSelector", kCollectionSelectorFields};

constexpr FieldSchema kCompositeFilterFields[] = {
    scalar("op", T::enumeration),
    repeated_nested("filters", filter),
};
constinit const MessageSchema kCompositeFilter{"CompositeFilter", kCompositeFilterFields};

constexpr FieldSchema kFieldFilterFields[] = {
    nested("field", kFieldReference),
    scalar("op", T::enumeration),
    nested("value", value),
};
constinit const MessageSchema kFieldFilter{"FieldFilter", kFieldFilterFields};

constexpr FieldSchema kUnaryFilterFields[] = {
    scalar("op", T::enumeration),
    nested("field", kFieldReference, "operand_type"),
};
constinit const MessageSchema kUnaryFilter{"UnaryFilter", kUnaryFilterFields};

constexpr FieldSchema kFilterFields[] = {
    nested("compositeFilter", kCompositeFilter, "filter_type"),
    nested("fieldFilter", kFieldFilter, "filter_type"),
    nested("unaryFilter", kUnaryFilter, "filter_type"),
};

constexpr FieldSchema kOrderFields[] = {
    nested("field", kFieldReference),
    scalar("direction", T::enumeration),
};
constinit const MessageSchema kOrder{"Order", kOrderFields};

constexpr FieldSchema kCursorFields[] = {
    repeated_nested("values", value),
    scalar("before", T::boolean),
};
constinit const MessageSchema kCursor{"Cursor", kCursorFields};

constexpr FieldSchema kFindNearestFields[] = {
    nested("vectorField", kFieldReference),    nested("queryVector", value),
    scalar("distanceMeasure", T::enumeration), scalar("limit", T::int32),
    scalar("distanceResultField", T::string),  scalar("distanceThreshold", T::double_type),
};
constinit const MessageSchema kFindNearest{"FindNearest", kFindNearestFields};

constexpr FieldSchema kStructuredQueryFields[] = {
    nested("select", kProjection),
    repeated_nested("from", kCollectionSelector),
    nested("where", filter),
    repeated_nested("orderBy", kOrder),
    nested("startAt", kCursor),
    nested("endAt", kCursor),
    scalar("offset", T::int32),
    scalar("limit", T::int32),
    nested("findNearest", kFindNearest),
};
constinit const MessageSchema kStructuredQuery{"StructuredQuery", kStructuredQueryFields};

constexpr FieldSchema kCountFields[] = {scalar("upTo", T::int64)};
constinit const MessageSchema kCount{"Aggregation.Count", kCountFields};

constexpr FieldSchema kFieldAggregationFields[] = {nested("field", kFieldReference)};
constinit const MessageSchema kSum{"Aggregation.Sum", kFieldAggregationFields};
constinit const MessageSchema kAvg{"Aggregation.Avg", kFieldAggregationFields};

constexpr FieldSchema kAggregationFields[] = {
    nested("count", kCount, "operator"),
    nested("sum", kSum, "operator"),
    nested("avg", kAvg, "operator"),
    scalar("alias", T::string),
};
constinit const MessageSchema kAggregation{"Aggregation", kAggregationFields, kOperator};

constexpr FieldSchema kStructuredAggregationQueryFields[] = {
    nested("structuredQuery", kStructuredQuery, "query_type"),
    repeated_nested("aggregations", kAggregation),
};
constinit const MessageSchema kStructuredAggregationQuery{
    "StructuredAggregationQuery", kStructuredAggregationQueryFields, kQueryType};

// query_profile.proto
constexpr FieldSchema kExplainOptionsFields[] = {scalar("analyze", T::boolean)};
constinit const MessageSchema kExplainOptions{"ExplainOptions", kExplainOptionsFields};

// firestore.proto requests (body "*": every field not bound by the path)
constexpr FieldSchema kBatchGetFields[] = {
    repeated_scalar("documents", T::string),
    nested("mask", kDocumentMask),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
};

constexpr FieldSchema kBeginTransactionFields[] = {nested("options", kTransactionOptions)};

constexpr FieldSchema kCommitFields[] = {
    repeated_nested("writes", kWrite),
    scalar("transaction", T::bytes),
};

constexpr FieldSchema kBatchWriteFields[] = {
    repeated_nested("writes", kWrite),
    {"labels", T::string_map},
};

constexpr FieldSchema kRollbackFields[] = {scalar("transaction", T::bytes)};

constexpr FieldSchema kRunQueryFields[] = {
    nested("structuredQuery", kStructuredQuery, "query_type"),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
    nested("explainOptions", kExplainOptions),
};

constexpr FieldSchema kRunAggregationQueryFields[] = {
    nested("structuredAggregationQuery", kStructuredAggregationQuery, "query_type"),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
    nested("explainOptions", kExplainOptions),
};

constexpr FieldSchema kPartitionQueryFields[] = {
    nested("structuredQuery", kStructuredQuery, "query_type"),
    scalar("partitionCount", T::int64),
    scalar("pageToken", T::string),
    scalar("pageSize", T::int32),
    scalar("readTime", T::timestamp, "consistency_selector"),
};

constexpr FieldSchema kListCollectionIdsFields[] = {
    scalar("pageSize", T::int32),
    scalar("pageToken", T::string),
    scalar("readTime", T::timestamp, "consistency_selector"),
};

}  // namespace

constinit const MessageSchema value{"Value", kValueFields, kValueType};
constinit const MessageSchema filter{"Filter", kFilterFields, kFilterType};
constinit const MessageSchema field_transform{"FieldTransform", kFieldTransformFields,
                                              kTransformType};

constinit const MessageSchema document{"Document", kDocumentFields};
constinit const MessageSchema batch_get_documents_request{"BatchGetDocumentsRequest",
                                                          kBatchGetFields};
constinit const MessageSchema begin_transaction_request{"BeginTransactionRequest",
                                                        kBeginTransactionFields};
constinit const MessageSchema commit_request{"CommitRequest", kCommitFields};
constinit const MessageSchema batch_write_request{"BatchWriteRequest", kBatchWriteFields};
constinit const MessageSchema rollback_request{"RollbackRequest", kRollbackFields};
constinit const MessageSchema run_query_request{"RunQueryRequest", kRunQueryFields, kQueryType};
constinit const MessageSchema run_aggregation_query_request{"RunAggregationQueryRequest",
                                                            kRunAggregationQueryFields, kQueryType};
constinit const MessageSchema partition_query_request{"PartitionQueryRequest",
                                                      kPartitionQueryFields, kQueryType};
constinit const MessageSchema list_collection_ids_request{"ListCollectionIdsRequest",
                                                          kListCollectionIdsFields};

}  // namespace firewarden::firestore::messages
