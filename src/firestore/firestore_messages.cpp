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

constexpr auto kValueType = std::to_array<std::string_view>({"value_type"});
constexpr auto kOperation = std::to_array<std::string_view>({"operation"});
constexpr auto kTransformType = std::to_array<std::string_view>({"transform_type"});
constexpr auto kFilterType = std::to_array<std::string_view>({"filter_type"});
constexpr auto kOperator = std::to_array<std::string_view>({"operator"});
constexpr auto kQueryType = std::to_array<std::string_view>({"query_type"});

// google/type/latlng.proto
constexpr auto kLatLngFields = std::to_array<FieldSchema>({
    scalar("latitude", T::double_type),
    scalar("longitude", T::double_type),
});
constinit const MessageSchema kLatLng{"LatLng", kLatLngFields};

// document.proto
constexpr auto kArrayValueFields = std::to_array<FieldSchema>({repeated_nested("values", value)});
constinit const MessageSchema kArrayValue{"ArrayValue", kArrayValueFields};

constexpr auto kMapValueFields = std::to_array<FieldSchema>({{"fields", T::value_map, &value}});
constinit const MessageSchema kMapValue{"MapValue", kMapValueFields};

constexpr auto kValueFields = std::to_array<FieldSchema>({
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
});

constexpr auto kDocumentFields = std::to_array<FieldSchema>({
    scalar("name", T::string),
    {"fields", T::value_map, &value},
    scalar("createTime", T::timestamp),
    scalar("updateTime", T::timestamp),
});

// common.proto
constexpr auto kDocumentMaskFields =
    std::to_array<FieldSchema>({repeated_scalar("fieldPaths", T::string)});
constinit const MessageSchema kDocumentMask{"DocumentMask", kDocumentMaskFields};

constexpr auto kPreconditionFields = std::to_array<FieldSchema>({
    scalar("exists", T::boolean, "condition_type"),
    scalar("updateTime", T::timestamp, "condition_type"),
});
constinit const MessageSchema kPrecondition{"Precondition", kPreconditionFields};

constexpr auto kReadOnlyFields = std::to_array<FieldSchema>({scalar("readTime", T::timestamp)});
constinit const MessageSchema kReadOnly{"TransactionOptions.ReadOnly", kReadOnlyFields};

constexpr auto kReadWriteFields =
    std::to_array<FieldSchema>({scalar("retryTransaction", T::bytes)});
constinit const MessageSchema kReadWrite{"TransactionOptions.ReadWrite", kReadWriteFields};

constexpr auto kTransactionOptionsFields = std::to_array<FieldSchema>({
    nested("readOnly", kReadOnly, "mode"),
    nested("readWrite", kReadWrite, "mode"),
});
constinit const MessageSchema kTransactionOptions{"TransactionOptions", kTransactionOptionsFields};

// write.proto
constexpr auto kFieldTransformFields = std::to_array<FieldSchema>({
    scalar("fieldPath", T::string),
    scalar("setToServerValue", T::enumeration, "transform_type"),
    nested("increment", value, "transform_type"),
    nested("maximum", value, "transform_type"),
    nested("minimum", value, "transform_type"),
    nested("appendMissingElements", kArrayValue, "transform_type"),
    nested("removeAllFromArray", kArrayValue, "transform_type"),
});

constexpr auto kDocumentTransformFields = std::to_array<FieldSchema>({
    scalar("document", T::string),
    repeated_nested("fieldTransforms", field_transform),
});
constinit const MessageSchema kDocumentTransform{"DocumentTransform", kDocumentTransformFields};

constexpr auto kWriteFields = std::to_array<FieldSchema>({
    nested("update", document, "operation"),
    scalar("delete", T::string, "operation"),
    nested("transform", kDocumentTransform, "operation"),
    nested("updateMask", kDocumentMask),
    repeated_nested("updateTransforms", field_transform),
    nested("currentDocument", kPrecondition),
});
constinit const MessageSchema kWrite{"Write", kWriteFields, kOperation};

// query.proto
constexpr auto kFieldReferenceFields = std::to_array<FieldSchema>({scalar("fieldPath", T::string)});
constinit const MessageSchema kFieldReference{"FieldReference", kFieldReferenceFields};

constexpr auto kProjectionFields =
    std::to_array<FieldSchema>({repeated_nested("fields", kFieldReference)});
constinit const MessageSchema kProjection{"Projection", kProjectionFields};

constexpr auto kCollectionSelectorFields = std::to_array<FieldSchema>({
    scalar("collectionId", T::string),
    scalar("allDescendants", T::boolean),
});
constinit const MessageSchema kCollectionSelector{"CollectionSelector", kCollectionSelectorFields};

constexpr auto kCompositeFilterFields = std::to_array<FieldSchema>({
    scalar("op", T::enumeration),
    repeated_nested("filters", filter),
});
constinit const MessageSchema kCompositeFilter{"CompositeFilter", kCompositeFilterFields};

constexpr auto kFieldFilterFields = std::to_array<FieldSchema>({
    nested("field", kFieldReference),
    scalar("op", T::enumeration),
    nested("value", value),
});
constinit const MessageSchema kFieldFilter{"FieldFilter", kFieldFilterFields};

constexpr auto kUnaryFilterFields = std::to_array<FieldSchema>({
    scalar("op", T::enumeration),
    nested("field", kFieldReference, "operand_type"),
});
constinit const MessageSchema kUnaryFilter{"UnaryFilter", kUnaryFilterFields};

constexpr auto kFilterFields = std::to_array<FieldSchema>({
    nested("compositeFilter", kCompositeFilter, "filter_type"),
    nested("fieldFilter", kFieldFilter, "filter_type"),
    nested("unaryFilter", kUnaryFilter, "filter_type"),
});

constexpr auto kOrderFields = std::to_array<FieldSchema>({
    nested("field", kFieldReference),
    scalar("direction", T::enumeration),
});
constinit const MessageSchema kOrder{"Order", kOrderFields};

constexpr auto kCursorFields = std::to_array<FieldSchema>({
    repeated_nested("values", value),
    scalar("before", T::boolean),
});
constinit const MessageSchema kCursor{"Cursor", kCursorFields};

constexpr auto kFindNearestFields = std::to_array<FieldSchema>({
    nested("vectorField", kFieldReference),
    nested("queryVector", value),
    scalar("distanceMeasure", T::enumeration),
    scalar("limit", T::int32),
    scalar("distanceResultField", T::string),
    scalar("distanceThreshold", T::double_type),
});
constinit const MessageSchema kFindNearest{"FindNearest", kFindNearestFields};

constexpr auto kStructuredQueryFields = std::to_array<FieldSchema>({
    nested("select", kProjection),
    repeated_nested("from", kCollectionSelector),
    nested("where", filter),
    repeated_nested("orderBy", kOrder),
    nested("startAt", kCursor),
    nested("endAt", kCursor),
    scalar("offset", T::int32),
    scalar("limit", T::int32),
    nested("findNearest", kFindNearest),
});
constinit const MessageSchema kStructuredQuery{"StructuredQuery", kStructuredQueryFields};

constexpr auto kCountFields = std::to_array<FieldSchema>({scalar("upTo", T::int64)});
constinit const MessageSchema kCount{"Aggregation.Count", kCountFields};

constexpr auto kFieldAggregationFields =
    std::to_array<FieldSchema>({nested("field", kFieldReference)});
constinit const MessageSchema kSum{"Aggregation.Sum", kFieldAggregationFields};
constinit const MessageSchema kAvg{"Aggregation.Avg", kFieldAggregationFields};

constexpr auto kAggregationFields = std::to_array<FieldSchema>({
    nested("count", kCount, "operator"),
    nested("sum", kSum, "operator"),
    nested("avg", kAvg, "operator"),
    scalar("alias", T::string),
});
constinit const MessageSchema kAggregation{"Aggregation", kAggregationFields, kOperator};

constexpr auto kStructuredAggregationQueryFields = std::to_array<FieldSchema>({
    nested("structuredQuery", kStructuredQuery, "query_type"),
    repeated_nested("aggregations", kAggregation),
});
constinit const MessageSchema kStructuredAggregationQuery{
    "StructuredAggregationQuery", kStructuredAggregationQueryFields, kQueryType};

// query_profile.proto
constexpr auto kExplainOptionsFields = std::to_array<FieldSchema>({scalar("analyze", T::boolean)});
constinit const MessageSchema kExplainOptions{"ExplainOptions", kExplainOptionsFields};

// firestore.proto requests (body "*": every field not bound by the path)
constexpr auto kBatchGetFields = std::to_array<FieldSchema>({
    repeated_scalar("documents", T::string),
    nested("mask", kDocumentMask),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
});

constexpr auto kBeginTransactionFields =
    std::to_array<FieldSchema>({nested("options", kTransactionOptions)});

constexpr auto kCommitFields = std::to_array<FieldSchema>({
    repeated_nested("writes", kWrite),
    scalar("transaction", T::bytes),
});

constexpr auto kBatchWriteFields = std::to_array<FieldSchema>({
    repeated_nested("writes", kWrite),
    {"labels", T::string_map},
});

constexpr auto kRollbackFields = std::to_array<FieldSchema>({scalar("transaction", T::bytes)});

constexpr auto kRunQueryFields = std::to_array<FieldSchema>({
    nested("structuredQuery", kStructuredQuery, "query_type"),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
    nested("explainOptions", kExplainOptions),
});

constexpr auto kRunAggregationQueryFields = std::to_array<FieldSchema>({
    nested("structuredAggregationQuery", kStructuredAggregationQuery, "query_type"),
    scalar("transaction", T::bytes, "consistency_selector"),
    nested("newTransaction", kTransactionOptions, "consistency_selector"),
    scalar("readTime", T::timestamp, "consistency_selector"),
    nested("explainOptions", kExplainOptions),
});

constexpr auto kPartitionQueryFields = std::to_array<FieldSchema>({
    nested("structuredQuery", kStructuredQuery, "query_type"),
    scalar("partitionCount", T::int64),
    scalar("pageToken", T::string),
    scalar("pageSize", T::int32),
    scalar("readTime", T::timestamp, "consistency_selector"),
});

constexpr auto kListCollectionIdsFields = std::to_array<FieldSchema>({
    scalar("pageSize", T::int32),
    scalar("pageToken", T::string),
    scalar("readTime", T::timestamp, "consistency_selector"),
});

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
