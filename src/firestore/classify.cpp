// About 510 lines on purpose: the route table and the reader of each
// method stay in one file so that the order of checks below reads in one
// place.
//
// REST request -> RequestModel: routing per method (SPEC §5).
//
// Order of checks: HTTP method and headers, then the path (400 unreadable, 501
// unsupported), then the proxy's scope (403), then query parameters and body
// (400). Every part must be readable before anything is derived from it.
#include "firewarden/firestore/classify.hpp"

#include <algorithm>
#include <array>

#include "firewarden/firestore/firestore_messages.hpp"
#include "firewarden/firestore/json_schema.hpp"
#include "firewarden/firestore/json_tape.hpp"
#include "firewarden/firestore/method_requirements.hpp"
#include "firewarden/firestore/path.hpp"
#include "firewarden/firestore/query_params.hpp"
#include "firewarden/firestore/request_headers.hpp"
#include "firewarden/firestore/requirement_set.hpp"
#include "firewarden/firestore/resource_name.hpp"
#include "firewarden/firestore/text.hpp"
#include "firewarden/firestore/timestamp.hpp"

namespace firewarden::firestore {
namespace {

enum class Route {
  get,
  list_documents,
  create_document,
  patch,
  remove,
  batch_get,
  commit,
  batch_write,
  begin_transaction,
  rollback,
  run_query,
  run_aggregation_query,
  partition_query,
  list_collection_ids,
};

// Where a custom method may stand: on documents/ only, or also on a document.
enum class VerbParent { database, database_or_document };

// ---------------------------------------------------------------------------
// Query parameters of each method (firestore.proto request messages: every
// field not bound by the path; body "*" methods have none).
// ---------------------------------------------------------------------------
constexpr ParamSpec kMask{"mask.fieldPaths", ParamType::string, true};
constexpr ParamSpec kTransaction{"transaction", ParamType::bytes, false, "consistency_selector"};
constexpr ParamSpec kReadTime{"readTime", ParamType::timestamp, false, "consistency_selector"};
constexpr ParamSpec kExists{"currentDocument.exists", ParamType::boolean, false, "condition_type"};
constexpr ParamSpec kUpdateTime{"currentDocument.updateTime", ParamType::timestamp, false,
                                "condition_type"};

constexpr auto kGetParams = std::to_array<ParamSpec>({kMask, kTransaction, kReadTime});
constexpr auto kListParams = std::to_array<ParamSpec>({
    {"pageSize", ParamType::int32},
    {"pageToken", ParamType::string},
    {"orderBy", ParamType::string},
    kMask,
    kTransaction,
    kReadTime,
    {"showMissing", ParamType::boolean},
});
constexpr auto kCreateParams = std::to_array<ParamSpec>({{"documentId", ParamType::string}, kMask});
constexpr auto kPatchParams = std::to_array<ParamSpec>(
    {{"updateMask.fieldPaths", ParamType::string, true}, kMask, kExists, kUpdateTime});
constexpr auto kDeleteParams = std::to_array<ParamSpec>({kExists, kUpdateTime});

struct RouteInfo {
  Route route;
  std::string_view rpc;  // RequestModel::method
  std::span<const ParamSpec> params;
  const MessageSchema* body;  // nullptr: the request has no body
};

constexpr auto kUnsupportedVerbs =
    std::to_array<std::string_view>({"listen", "write", "executePipeline"});

struct VerbInfo {
  std::string_view verb;
  RouteInfo info;
  VerbParent parent;
};

constexpr auto kVerbs = std::to_array<VerbInfo>({
    {"batchGet",
     {Route::batch_get, "batchGet", {}, &messages::batch_get_documents_request},
     VerbParent::database},
    {"commit", {Route::commit, "commit", {}, &messages::commit_request}, VerbParent::database},
    {"batchWrite",
     {Route::batch_write, "batchWrite", {}, &messages::batch_write_request},
     VerbParent::database},
    {"beginTransaction",
     {Route::begin_transaction, "beginTransaction", {}, &messages::begin_transaction_request},
     VerbParent::database},
    {"rollback",
     {Route::rollback, "rollback", {}, &messages::rollback_request},
     VerbParent::database},
    {"runQuery",
     {Route::run_query, "runQuery", {}, &messages::run_query_request},
     VerbParent::database_or_document},
    {"runAggregationQuery",
     {Route::run_aggregation_query,
      "runAggregationQuery",
      {},
      &messages::run_aggregation_query_request},
     VerbParent::database_or_document},
    {"partitionQuery",
     {Route::partition_query, "partitionQuery", {}, &messages::partition_query_request},
     VerbParent::database_or_document},
    {"listCollectionIds",
     {Route::list_collection_ids, "listCollectionIds", {}, &messages::list_collection_ids_request},
     VerbParent::database_or_document},
});

bool is_document_path(const std::vector<std::string>& segments) {
  return !segments.empty() && segments.size() % 2 == 0;
}
bool is_collection_path(const std::vector<std::string>& segments) {
  return segments.size() % 2 == 1;
}

// Which Firestore method a method + path is (google.api.http bindings in
// firestore.proto). GET of a document path is GetDocument and of a collection
// path ListDocuments, by segment parity, as Firestore itself tells them apart.
Checked<RouteInfo> resolve_route(std::string_view method, const DocumentsPath& path) {
  const std::vector<std::string>& segments = path.segments;
  if (path.verb.empty()) {
    if (method == "GET" && is_document_path(segments)) {
      return RouteInfo{Route::get, "get", kGetParams, nullptr};
    }
    if (method == "GET" && is_collection_path(segments)) {
      return RouteInfo{Route::list_documents, "listDocuments", kListParams, nullptr};
    }
    if (method == "POST" && is_collection_path(segments)) {
      return RouteInfo{Route::create_document, "createDocument", kCreateParams,
                       &messages::document};
    }
    if (method == "PATCH" && is_document_path(segments)) {
      return RouteInfo{Route::patch, "patch", kPatchParams, &messages::document};
    }
    if (method == "DELETE" && is_document_path(segments)) {
      return RouteInfo{Route::remove, "delete", kDeleteParams, nullptr};
    }
    const char* wanted = method == "POST" ? "a collection path" : "a document path";
    if (method == "GET") wanted = "a document or collection path";
    return ApiError::invalid_argument(std::string(method) + " needs " + wanted +
                                      " below documents/");
  }

  for (const std::string_view unsupported : kUnsupportedVerbs) {
    if (path.verb == unsupported) {
      return ApiError::unimplemented(":" + path.verb +
                                     " is not supported by firewarden (streaming or pipeline "
                                     "methods cannot be authorized per request)");
    }
  }
  const auto known = std::find_if(kVerbs.begin(), kVerbs.end(),
                                  [&](const VerbInfo& v) { return v.verb == path.verb; });
  if (known == kVerbs.end()) {
    return ApiError::unimplemented("unsupported custom method " + quote_input(":" + path.verb));
  }
  if (method != "POST") {
    return ApiError::invalid_argument(":" + path.verb + " needs POST, not " + std::string(method));
  }
  if (known->parent == VerbParent::database && !segments.empty()) {
    return ApiError::invalid_argument(":" + path.verb + " applies to documents/ itself");
  }
  if (known->parent == VerbParent::database_or_document && is_collection_path(segments)) {
    return ApiError::invalid_argument(":" + path.verb +
                                      " applies to documents/ or a document, not a collection");
  }
  return known->info;
}

// Members of a body already read against its schema (so types are known; a
// member is found by its lowerCamel name whichever spelling was sent); 0 when absent.
std::size_t member(const MessageTape& body, std::size_t object, std::string_view name) {
  if (object >= body.size() || body[object].kind != JsonKind::object) return 0;
  return body.member(object, name);
}

std::optional<std::string_view> string_field(const MessageTape& body, std::size_t object,
                                             std::string_view name) {
  const std::size_t found = member(body, object, name);
  if (found == 0 || body[found].kind != JsonKind::string) return std::nullopt;
  return body[found].text;
}

// ---------------------------------------------------------------------------
// Preconditions
// ---------------------------------------------------------------------------

// currentDocument.updateTime as RFC 3339 text (method_requirements.hpp says
// why the epoch is refused).
Refusal check_update_time_text(std::string_view text) {
  return firestore::check_update_time(parse_timestamp(text), text);
}

Checked<WritePrecondition> precondition_of(const std::string* exists,
                                           const std::string* update_time) {
  if (exists != nullptr) {
    return *exists == "true" ? WritePrecondition::must_exist : WritePrecondition::must_not_exist;
  }
  if (update_time != nullptr) {
    if (Refusal refusal = check_update_time_text(*update_time)) return *refusal;
    return WritePrecondition::must_exist;
  }
  return WritePrecondition::none;
}

// A Precondition message (already read against its schema: at most one member).
Checked<WritePrecondition> precondition_of(const MessageTape& body, std::size_t write) {
  const std::size_t precondition = member(body, write, "currentDocument");
  if (precondition == 0) return WritePrecondition::none;
  if (const std::size_t exists = member(body, precondition, "exists")) {
    return body[exists].truth ? WritePrecondition::must_exist : WritePrecondition::must_not_exist;
  }
  if (const auto update_time = string_field(body, precondition, "updateTime")) {
    if (Refusal refusal = check_update_time_text(*update_time)) return *refusal;
    return WritePrecondition::must_exist;
  }
  return WritePrecondition::none;
}

// ---------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------

// Says which element of a repeated body field an error is about.
ApiError in_element(std::string_view field, std::size_t index, const ApiError& error) {
  ApiError located = error;
  located.message = "request body field " + std::string(field) + "[" + std::to_string(index) +
                    "]: " + error.message;
  return located;
}

Refusal add_write(const MessageTape& body, std::size_t write, const DatabaseRef& database,
                  RequirementSet& requirements, std::vector<std::string>& documents) {
  std::optional<std::string_view> target;
  const std::size_t update = member(body, write, "update");
  const bool is_update = update != 0;
  if (is_update) {
    target = string_field(body, update, "name");
  } else if (const std::size_t transform = member(body, write, "transform")) {
    target = string_field(body, transform, "document");
  } else {
    target = string_field(body, write, "delete");
  }
  if (!target || target->empty()) {
    return ApiError::invalid_argument("a write must name its document");
  }
  if (!is_update &&
      (member(body, write, "updateMask") != 0 || member(body, write, "updateTransforms") != 0)) {
    return ApiError::invalid_argument("updateMask and updateTransforms belong to update writes");
  }
  Checked<DocumentNameIds> ids = document_name_ids(*target, database);
  if (!ids.ok()) return ids.error();
  Checked<WritePrecondition> precondition = precondition_of(body, write);
  if (!precondition.ok()) return precondition.error();

  require_document_write(std::span<const std::string_view>(ids.value().data(), ids.value().size()),
                         member(body, write, "delete") != 0, precondition.value(), requirements,
                         documents);
  return std::nullopt;
}

// SPEC §5: query on PARENT/C per from[] entry; allDescendants puts ** before
// it; a kindless selector (no collectionId) puts * in its place.
Refusal add_query(const MessageTape& body, std::size_t structured_query,
                  const std::vector<std::string>& parent, RequirementSet& requirements) {
  if (structured_query == 0) {
    return ApiError::invalid_argument("the request needs a structuredQuery");
  }
  const std::size_t from = member(body, structured_query, "from");
  if (from == 0 || body[from].kind != JsonKind::array || body[from].end == from + 1) {
    return ApiError::invalid_argument("structuredQuery.from must name the collections to query");
  }
  for (std::size_t selector = from + 1; selector < body[from].end; selector = body.skip(selector)) {
    const std::size_t all_descendants = member(body, selector, "allDescendants");
    const auto collection_id = string_field(body, selector, "collectionId");
    if (Refusal refusal = require_query_selector(
            literal_collection(parent), all_descendants != 0 && body[all_descendants].truth,
            collection_id.value_or(std::string_view{}), requirements)) {
      return refusal;
    }
  }
  return std::nullopt;
}

// Every element of the array member `name` of the root, in order.
template <typename Visit>
Refusal for_each_element(const MessageTape& body, std::string_view name, Visit visit) {
  const std::size_t array = member(body, 0, name);
  if (array == 0) return std::nullopt;
  // The schema has made it an array; refuse rather than skip if it were not.
  if (body[array].kind != JsonKind::array) {
    return ApiError::invalid_argument("request body field " + std::string(name) +
                                      ": must be an array");
  }
  std::size_t index = 0;
  for (std::size_t element = array + 1; element < body[array].end;
       element = body.skip(element), ++index) {
    if (Refusal refusal = visit(element)) return in_element(name, index, *refusal);
  }
  return std::nullopt;
}

Refusal add_body_requirements(Route route, const MessageTape& body, const DocumentsPath& path,
                              RequirementSet& requirements, std::vector<std::string>& documents) {
  switch (route) {
    case Route::batch_get:
      return for_each_element(body, "documents", [&](std::size_t document) -> Refusal {
        // A document named in a body must be in the URL's database.
        Checked<DocumentNameIds> ids = document_name_ids(body[document].text, path.database);
        if (!ids.ok()) return ids.error();
        require_document_read(
            std::span<const std::string_view>(ids.value().data(), ids.value().size()), requirements,
            documents);
        return std::nullopt;
      });
    case Route::commit:
    case Route::batch_write:
      return for_each_element(body, "writes", [&](std::size_t write) {
        return add_write(body, write, path.database, requirements, documents);
      });
    case Route::run_query:
    case Route::partition_query:
      return add_query(body, member(body, 0, "structuredQuery"), path.segments, requirements);
    case Route::run_aggregation_query: {
      const std::size_t aggregation = member(body, 0, "structuredAggregationQuery");
      return add_query(body, member(body, aggregation, "structuredQuery"), path.segments,
                       requirements);
    }
    default:
      return std::nullopt;
  }
}

// createDocument and patch carry a Document whose name the URL already gives.
Refusal check_document_body_name(Route route, const MessageTape& document,
                                 const DocumentsPath& path) {
  const auto name = string_field(document, 0, "name");
  if (!name || name->empty()) return std::nullopt;
  if (route == Route::create_document) {
    return ApiError::invalid_argument("createDocument: the document's name must not be set");
  }
  Checked<std::vector<std::string>> ids = parse_document_name(*name, path.database);
  if (!ids.ok()) return ids.error();
  if (ids.value() != path.segments) {
    return ApiError::invalid_argument("document name " + quote_input(*name) +
                                      " in the body differs from the URL's");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Requirements from the URL and its query parameters
// ---------------------------------------------------------------------------

Refusal add_url_requirements(Route route, const DocumentsPath& path, const QueryParams& params,
                             RequirementSet& requirements) {
  const std::span<const std::string> segments(path.segments);
  switch (route) {
    case Route::get:
      requirements.add(Action::get, literal_collection(segments.first(segments.size() - 1)));
      return std::nullopt;
    case Route::list_documents:
      requirements.add(Action::list, literal_collection(segments));
      return std::nullopt;
    case Route::create_document:
      if (const std::string* id = params.find("documentId"); id != nullptr && !id->empty()) {
        if (Refusal refusal = check_id(*id)) {
          return ApiError::invalid_argument("documentId: " + refusal->message);
        }
      }
      requirements.add(Action::create, literal_collection(segments));
      return std::nullopt;
    case Route::patch:
    case Route::remove: {
      Checked<WritePrecondition> precondition = precondition_of(
          params.find("currentDocument.exists"), params.find("currentDocument.updateTime"));
      if (!precondition.ok()) return precondition.error();
      const CollectionPattern collection = literal_collection(segments.first(segments.size() - 1));
      if (route == Route::remove) {
        requirements.add(Action::remove, collection);
      } else {
        requirements.add_write(collection, precondition.value());
      }
      return std::nullopt;
    }
    case Route::list_collection_ids: {
      CollectionPattern pattern = literal_collection(segments);
      pattern.segments.push_back(Segment::any_one());
      requirements.add(Action::list_collections, pattern);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

Checked<RequestModel> classify_checked(const HttpRequest& request, const Scope& scope) {
  const std::string_view method = request.method;
  if (method != "GET" && method != "POST" && method != "PATCH" && method != "DELETE") {
    return ApiError::unimplemented("HTTP method " + quote_input(method) + " is not supported");
  }
  if (Refusal refusal = check_request_headers(request)) return *refusal;

  const std::string_view target = request.target;
  if (target.find('#') != std::string_view::npos) {
    return ApiError::invalid_argument("request target must not contain a fragment");
  }
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  const std::string_view raw_query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  Checked<DocumentsPath> parsed_path = parse_documents_path(raw_path);
  if (!parsed_path.ok()) return parsed_path.error();
  const DocumentsPath& path = parsed_path.value();
  Checked<RouteInfo> route = resolve_route(method, path);
  if (!route.ok()) return route.error();
  if (Refusal refusal = check_scope(path.database, scope)) return *refusal;
  Checked<RoutingHeaders> routing = rebuild_routing_headers(request, path.database);
  if (!routing.ok()) return routing.error();
  // A server that percent-decodes the path before it looks for ":verb" (the
  // Firestore emulator does, and splits at the first ':') would read
  // POST …/coll%3ArunQuery as runQuery, where google.api.http reads
  // createDocument in collection "coll:runQuery". With a raw verb present the
  // raw ':' stays the last one, and a split at an earlier ':' yields no valid
  // method, so only verb-less POSTs are ambiguous.
  if (method == "POST" && path.verb.empty() && !path.segments.empty() &&
      path.segments.back().find(':') != std::string::npos) {
    return ApiError::invalid_argument("':' in the collection ID of a createDocument: " +
                                      quote_input(path.segments.back()));
  }

  Checked<QueryParams> params = read_query_params(raw_query, route.value().params);
  if (!params.ok()) return params.error();

  RequirementSet requirements;
  std::vector<std::string> documents;
  if (const Route r = route.value().route;
      r == Route::get || r == Route::patch || r == Route::remove) {
    add_document(documents, path.segments);
  }
  if (Refusal refusal =
          add_url_requirements(route.value().route, path, params.value(), requirements)) {
    return *refusal;
  }

  if (route.value().body == nullptr) {
    if (!request.body.empty()) {
      return ApiError::invalid_argument(std::string(method) + " requests must not have a body");
    }
  } else {
    if (request.body.empty()) {
      return ApiError::invalid_argument(std::string(route.value().rpc) +
                                        " needs a JSON object as its request body");
    }
    const Checked<JsonTape> tape = parse_json_tape(request.body);
    if (!tape.ok()) return tape.error();
    const Checked<MessageTape> body = read_message(tape.value(), *route.value().body);
    if (!body.ok()) return body.error();
    const Route r = route.value().route;
    if (r == Route::create_document || r == Route::patch) {
      if (Refusal refusal = check_document_body_name(r, body.value(), path)) return *refusal;
    }
    if (Refusal refusal = add_body_requirements(r, body.value(), path, requirements, documents)) {
      return *refusal;
    }
  }

  RequestModel model;
  model.method = std::string(route.value().rpc);
  model.project = path.database.project;
  model.database = path.database.database;
  model.requirements = std::move(requirements).take();
  model.documents = std::move(documents);
  model.upstream_target = path.canonical();
  if (const std::string query = params.value().to_query_string(); !query.empty()) {
    model.upstream_target += '?';
    model.upstream_target += query;
  }
  model.upstream_body = std::string(request.body);
  model.upstream_resource_prefix = std::move(routing.value().resource_prefix);
  model.upstream_request_params = std::move(routing.value().request_params);
  return model;
}

}  // namespace

ClassifyResult classify(const HttpRequest& request, const Scope& scope) {
  Checked<RequestModel> model = classify_checked(request, scope);
  if (!model.ok()) return model.error();
  return std::move(model).value();
}

}  // namespace firewarden::firestore
