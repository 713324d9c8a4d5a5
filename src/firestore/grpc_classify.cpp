// About 410 lines on purpose: what each RPC reads and in which order stays
// in one file, as classify.cpp does for REST.
//
// gRPC request message -> RequestModel (SPEC §12's RPC table, read as §5).
//
// Order of checks: the RPC (501), metadata that changes how the message is
// read (400), the whole message against its schema (400), the resource name
// that says which database the request is for (400 unreadable), the proxy's
// scope (403), the routing headers (400), then every other name in the
// message, which must lie in that database (400). Requirements come from
// method_requirements.hpp, as the REST classifier's do.
#include "firewarden/firestore/grpc_classify.hpp"

#include <array>

#include "firewarden/firestore/firestore_protos.hpp"
#include "firewarden/firestore/method_requirements.hpp"
#include "firewarden/firestore/path.hpp"
#include "firewarden/firestore/request_headers.hpp"
#include "firewarden/firestore/text.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::firestore {
namespace {

using protobuf::Message;

constexpr std::string_view kService = "/google.firestore.v1.Firestore/";

struct RpcInfo {
  Rpc rpc;
  const protobuf::MessageSpec* request;
};

// google.firestore.v1.Firestore's methods that firewarden serves
// (firestore.proto; ExecutePipeline is not among them).
constexpr std::array<RpcInfo, 16> kRpcs = {{
    {{"GetDocument", RpcKind::unary}, &protos::get_document_request},
    {{"ListDocuments", RpcKind::unary}, &protos::list_documents_request},
    {{"CreateDocument", RpcKind::unary}, &protos::create_document_request},
    {{"UpdateDocument", RpcKind::unary}, &protos::update_document_request},
    {{"DeleteDocument", RpcKind::unary}, &protos::delete_document_request},
    {{"BatchGetDocuments", RpcKind::server_streaming}, &protos::batch_get_documents_request},
    {{"BeginTransaction", RpcKind::unary}, &protos::begin_transaction_request},
    {{"Commit", RpcKind::unary}, &protos::commit_request},
    {{"Rollback", RpcKind::unary}, &protos::rollback_request},
    {{"RunQuery", RpcKind::server_streaming}, &protos::run_query_request},
    {{"RunAggregationQuery", RpcKind::server_streaming}, &protos::run_aggregation_query_request},
    {{"PartitionQuery", RpcKind::unary}, &protos::partition_query_request},
    {{"Listen", RpcKind::bidi_streaming}, &protos::listen_request},
    {{"Write", RpcKind::bidi_streaming}, &protos::write_request},
    {{"ListCollectionIds", RpcKind::unary}, &protos::list_collection_ids_request},
    {{"BatchWrite", RpcKind::unary}, &protos::batch_write_request},
}};

std::variant<const RpcInfo*, ApiError> find_rpc(std::string_view path) {
  if (path.starts_with(kService)) {
    const std::string_view method = path.substr(kService.size());
    for (const RpcInfo& info : kRpcs) {
      if (info.rpc.name == method) return &info;
    }
  }
  return ApiError::unimplemented("gRPC method " + quote_input(path) +
                                 " is not supported by firewarden");
}

// What the classifier has found so far.
struct Found {
  DatabaseRef database;
  RequirementSet requirements;
  std::vector<std::string> documents;
};

using Ids = std::span<const std::string_view>;
Ids ids_of(const DocumentNameIds& ids) { return {ids.data(), ids.size()}; }

ApiError missing(std::string_view field) {
  return ApiError::invalid_argument("the request message needs " + std::string(field));
}

// The field that names the request's database: the database itself
// (`database`), a parent (the documents root or a document below it) or a
// document (`name`).
enum class NameKind { database, parent, document };

Checked<ResourceName> read_primary_name(std::optional<std::string_view> text,
                                        std::string_view field, NameKind kind) {
  if (!text || text->empty()) return missing(field);
  Checked<ResourceName> name = parse_resource_name(*text);
  if (!name.ok()) return name.error();
  const ResourceName& read = name.value();
  const bool fits = kind == NameKind::database
                        ? !read.below_database
                        : read.below_database && read.ids.size() % 2 == 0 &&
                              (kind == NameKind::parent || !read.ids.empty());
  if (!fits) {
    static constexpr std::array<std::string_view, 3> kWanted = {
        "a database (projects/{p}/databases/{d})", "documents/ or a document below it",
        "a document"};
    return ApiError::invalid_argument(std::string(field) + " must name " +
                                      std::string(kWanted[static_cast<int>(kind)]) + ", not " +
                                      quote_input(*text));
  }
  return name;
}

// A parent named inside a message whose database is already known (a
// Listen target's query).
Checked<ResourceName> read_inner_parent(std::string_view text, std::string_view field,
                                        const DatabaseRef& database) {
  Checked<ResourceName> name = read_primary_name(text, field, NameKind::parent);
  if (name.ok() && name.value().database != database) {
    return ApiError::invalid_argument(std::string(field) + " " + quote_input(text) +
                                      " is not in the request's database " +
                                      quote_input(database.name()));
  }
  return name;
}

// ---------------------------------------------------------------------------
// Preconditions and writes
// ---------------------------------------------------------------------------

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z (timestamp.proto).
std::optional<Timestamp> timestamp_of(const Message& time) {
  const auto seconds = static_cast<std::int64_t>(time.varint("seconds").value_or(0));
  const auto nanos = static_cast<std::int64_t>(time.varint("nanos").value_or(0));
  if (seconds < -62135596800 || seconds > 253402300799 || nanos < 0 || nanos > 999999999) {
    return std::nullopt;
  }
  return Timestamp{seconds, static_cast<std::int32_t>(nanos)};
}

Checked<WritePrecondition> message_precondition(const std::optional<Message>& precondition) {
  if (!precondition) return WritePrecondition::none;
  if (const std::optional<std::uint64_t> exists = precondition->varint("exists")) {
    return *exists != 0 ? WritePrecondition::must_exist : WritePrecondition::must_not_exist;
  }
  if (const std::optional<Message> update_time = precondition->message("update_time")) {
    const std::optional<Timestamp> time = timestamp_of(*update_time);
    if (check_update_time(time, {})) {
      // Refused: only now is the time spelled out for the message.
      const std::string shown = time ? "{seconds: " + std::to_string(time->seconds) +
                                           ", nanos: " + std::to_string(time->nanos) + "}"
                                     : "an out-of-range Timestamp";
      return *check_update_time(time, shown);
    }
    return WritePrecondition::must_exist;
  }
  return WritePrecondition::none;
}

Refusal add_message_write(const Message& write, Found& found) {
  std::optional<std::string_view> target;
  bool is_update = false;
  if (const std::optional<Message> update = write.message("update")) {
    is_update = true;
    target = update->string("name");
  } else if (const std::optional<Message> transform = write.message("transform")) {
    target = transform->string("document");
  } else {
    target = write.string("delete");
  }
  if (!target || target->empty()) {
    return ApiError::invalid_argument("a write must name its document");
  }
  if (!is_update && (write.has("update_mask") || write.has("update_transforms"))) {
    return ApiError::invalid_argument("updateMask and updateTransforms belong to update writes");
  }
  Checked<DocumentNameIds> ids = document_name_ids(*target, found.database);
  if (!ids.ok()) return ids.error();
  Checked<WritePrecondition> precondition = message_precondition(write.message("current_document"));
  if (!precondition.ok()) return precondition.error();
  require_document_write(ids_of(ids.value()), write.has("delete"), precondition.value(),
                         found.requirements, found.documents);
  return std::nullopt;
}

// Says which element of a repeated field an error is about.
template <typename Visit>
Refusal for_each_write(const Message& request, std::string_view field, Visit visit) {
  std::size_t index = 0;
  return request.for_each_message(field, [&](const Message& element) -> Refusal {
    Refusal refusal = visit(element);
    if (refusal) {
      refusal->message = "request field " + std::string(field) + "[" + std::to_string(index) +
                         "]: " + refusal->message;
    }
    ++index;
    return refusal;
  });
}

Refusal add_writes(const Message& request, std::string_view field, Found& found) {
  return for_each_write(request, field,
                        [&](const Message& write) { return add_message_write(write, found); });
}

Refusal add_document_reads(const Message& holder, std::string_view field, Found& found) {
  return holder.for_each_string(field, [&](std::string_view name) -> Refusal {
    Checked<DocumentNameIds> ids = document_name_ids(name, found.database);
    if (!ids.ok()) return ids.error();
    require_document_read(ids_of(ids.value()), found.requirements, found.documents);
    return std::nullopt;
  });
}

// ---------------------------------------------------------------------------
// Queries and collections
// ---------------------------------------------------------------------------

Refusal add_message_query(const std::optional<Message>& structured_query,
                          const ResourceName& parent, Found& found) {
  if (!structured_query) return ApiError::invalid_argument("the request needs a structuredQuery");
  bool any = false;
  Refusal refusal = structured_query->for_each_message("from", [&](const Message& selector) {
    any = true;
    return require_query_selector(
        literal_collection(ids_of(parent.ids)), selector.varint("all_descendants").value_or(0) != 0,
        selector.string("collection_id").value_or(""), found.requirements);
  });
  if (refusal) return refusal;
  if (!any) {
    return ApiError::invalid_argument("structuredQuery.from must name the collections to query");
  }
  return std::nullopt;
}

// PARENT/C, or PARENT/* for an empty collection id where `empty_means_all`.
Checked<CollectionPattern> collection_below(const ResourceName& parent, std::string_view id,
                                            bool empty_means_all) {
  CollectionPattern pattern = literal_collection(ids_of(parent.ids));
  if (id.empty()) {
    if (!empty_means_all) return missing("collection_id");
    pattern.segments.push_back(Segment::any_one());
    return pattern;
  }
  if (Refusal refusal = check_id(id)) {
    return ApiError::invalid_argument("collection_id: " + refusal->message);
  }
  pattern.segments.push_back(Segment::literal(std::string(id)));
  return pattern;
}

Refusal add_listen_target(const Message& target, Found& found) {
  if (const std::optional<Message> query = target.message("query")) {
    Checked<ResourceName> parent = read_inner_parent(query->string("parent").value_or(""),
                                                     "add_target.query.parent", found.database);
    if (!parent.ok()) return parent.error();
    return add_message_query(query->message("structured_query"), parent.value(), found);
  }
  if (const std::optional<Message> documents = target.message("documents")) {
    return add_document_reads(*documents, "documents", found);
  }
  return ApiError::invalid_argument("add_target needs a query or a documents target");
}

// ---------------------------------------------------------------------------
// Per RPC: the primary name, then the rest of the message
// ---------------------------------------------------------------------------

struct Primary {
  std::string_view field;
  NameKind kind;
};

Primary primary_of(std::string_view rpc) {
  if (rpc == "GetDocument" || rpc == "DeleteDocument") return {"name", NameKind::document};
  if (rpc == "UpdateDocument") return {"document.name", NameKind::document};
  if (rpc == "ListDocuments" || rpc == "CreateDocument" || rpc == "RunQuery" ||
      rpc == "RunAggregationQuery" || rpc == "PartitionQuery" || rpc == "ListCollectionIds") {
    return {"parent", NameKind::parent};
  }
  return {"database", NameKind::database};
}

std::optional<std::string_view> primary_text(const Message& request, std::string_view rpc,
                                             std::string_view field) {
  if (rpc == "UpdateDocument") {
    const std::optional<Message> document = request.message("document");
    return document ? document->string("name") : std::nullopt;
  }
  return request.string(field);
}

Refusal add_requirements(std::string_view rpc, const Message& request, const ResourceName& name,
                         Found& found) {
  const Ids ids = ids_of(name.ids);
  if (rpc == "GetDocument") {
    require_document_read(ids, found.requirements, found.documents);
    return std::nullopt;
  }
  if (rpc == "UpdateDocument" || rpc == "DeleteDocument") {
    Checked<WritePrecondition> precondition =
        message_precondition(request.message("current_document"));
    if (!precondition.ok()) return precondition.error();
    require_document_write(ids, rpc == "DeleteDocument", precondition.value(), found.requirements,
                           found.documents);
    return std::nullopt;
  }
  if (rpc == "ListDocuments" || rpc == "CreateDocument") {
    const bool create = rpc == "CreateDocument";
    Checked<CollectionPattern> collection =
        collection_below(name, request.string("collection_id").value_or(""), !create);
    if (!collection.ok()) return collection.error();
    if (!create) {
      found.requirements.add(Action::list, collection.value());
      return std::nullopt;
    }
    const std::optional<Message> document = request.message("document");
    if (!document) return missing("a document");
    if (!document->string("name").value_or("").empty()) {
      return ApiError::invalid_argument("createDocument: the document's name must not be set");
    }
    if (const std::string_view id = request.string("document_id").value_or(""); !id.empty()) {
      if (Refusal refusal = check_id(id)) {
        return ApiError::invalid_argument("document_id: " + refusal->message);
      }
    }
    found.requirements.add(Action::create, collection.value());
    return std::nullopt;
  }
  if (rpc == "BatchGetDocuments") return add_document_reads(request, "documents", found);
  if (rpc == "Commit" || rpc == "BatchWrite" || rpc == "Write") {
    return add_writes(request, "writes", found);
  }
  if (rpc == "RunQuery" || rpc == "PartitionQuery") {
    return add_message_query(request.message("structured_query"), name, found);
  }
  if (rpc == "RunAggregationQuery") {
    const std::optional<Message> aggregation = request.message("structured_aggregation_query");
    return add_message_query(aggregation ? aggregation->message("structured_query") : std::nullopt,
                             name, found);
  }
  if (rpc == "ListCollectionIds") {
    CollectionPattern pattern = literal_collection(ids);
    pattern.segments.push_back(Segment::any_one());
    found.requirements.add(Action::list_collections, pattern);
    return std::nullopt;
  }
  if (rpc == "Listen") {
    // remove_target names a target already decided: it needs nothing.
    const std::optional<Message> target = request.message("add_target");
    return target ? add_listen_target(*target, found) : std::nullopt;
  }
  return std::nullopt;  // BeginTransaction, Rollback: no data is touched
}

// grpc-encoding names the compression of the request's messages; only
// identity is read (PROTOCOL-HTTP2: a message is compressed only with its
// flag set, but a peer sending any other encoding is not read on trust).
Refusal check_metadata(const GrpcRequest& request) {
  for (const auto& [name, value] : request.metadata) {
    if (text::iequals(name, "grpc-encoding") && !text::iequals(value, "identity")) {
      return ApiError::invalid_argument("compressed gRPC requests (grpc-encoding " +
                                        quote_input(value) + ") are not accepted");
    }
  }
  return std::nullopt;
}

Checked<RequestModel> classify_message_checked(const GrpcRequest& request, const Scope& scope) {
  const std::variant<const RpcInfo*, ApiError> rpc = find_rpc(request.path);
  if (const auto* error = std::get_if<ApiError>(&rpc)) return *error;
  const RpcInfo& info = *std::get<const RpcInfo*>(rpc);
  const std::string_view name = info.rpc.name;
  if (Refusal refusal = check_metadata(request)) return *refusal;

  Checked<Message> message = protobuf::read_message(request.message, *info.request);
  if (!message.ok()) return message.error();
  const Primary primary = primary_of(name);
  std::optional<std::string_view> primary_name = primary_text(message.value(), name, primary.field);
  if (info.rpc.kind == RpcKind::bidi_streaming && primary_name.value_or("").empty() &&
      !request.stream_database.empty()) {
    primary_name = request.stream_database;
  }
  Checked<ResourceName> resource = read_primary_name(primary_name, primary.field, primary.kind);
  if (!resource.ok()) return resource.error();
  if (Refusal refusal = check_scope(resource.value().database, scope)) return *refusal;

  HttpRequest routing_view{"POST", request.path, request.metadata, {}};
  Checked<RoutingHeaders> routing = rebuild_routing_headers(routing_view, resource.value().database,
                                                            RepeatedRoutingHeaders::check_each);
  if (!routing.ok()) return routing.error();

  Found found;
  found.database = resource.value().database;
  if (Refusal refusal = add_requirements(name, message.value(), resource.value(), found)) {
    return *refusal;
  }

  RequestModel model;
  model.method = std::string(name);
  model.project = found.database.project;
  model.database = found.database.database;
  model.requirements = std::move(found.requirements).take();
  model.documents = std::move(found.documents);
  model.upstream_target = std::string(request.path);
  model.upstream_body = std::string(request.message);
  model.upstream_resource_prefix = std::move(routing.value().resource_prefix);
  model.upstream_request_params = std::move(routing.value().request_params);
  return model;
}

}  // namespace

std::variant<Rpc, ApiError> grpc_rpc(std::string_view path) {
  const std::variant<const RpcInfo*, ApiError> rpc = find_rpc(path);
  if (const auto* error = std::get_if<ApiError>(&rpc)) return *error;
  return std::get<const RpcInfo*>(rpc)->rpc;
}

ClassifyResult classify_grpc(const GrpcRequest& request, const Scope& scope) {
  Checked<RequestModel> model = classify_message_checked(request, scope);
  if (!model.ok()) return model.error();
  return std::move(model).value();
}

}  // namespace firewarden::firestore
