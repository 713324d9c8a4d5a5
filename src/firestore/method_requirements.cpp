#include "firewarden/firestore/method_requirements.hpp"

#include "firewarden/firestore/path.hpp"
#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore {

Refusal check_scope(const DatabaseRef& database, const Scope& scope) {
  if (database.project != scope.project) {
    return ApiError::permission_denied("project " + quote_input(database.project) +
                                       " is not served by this proxy");
  }
  if (std::find(scope.databases.begin(), scope.databases.end(), database.database) ==
      scope.databases.end()) {
    return ApiError::permission_denied("database " + quote_input(database.database) +
                                       " of project " + quote_input(database.project) +
                                       " is not served by this proxy");
  }
  return std::nullopt;
}

Refusal check_update_time(const std::optional<Timestamp>& time, std::string_view shown) {
  if (!time || time->seconds < 0 || (time->seconds == 0 && time->nanos == 0)) {
    return ApiError::invalid_argument(
        "currentDocument.updateTime must be a time after 1970-01-01T00:00:00Z, not " +
        quote_input(shown));
  }
  return std::nullopt;
}

void require_document_read(std::span<const std::string_view> ids, RequirementSet& requirements,
                           std::vector<std::string>& documents) {
  requirements.add(Action::get, literal_collection(ids.first(ids.size() - 1)));
  add_document(documents, ids);
}

void require_document_write(std::span<const std::string_view> ids, bool is_delete,
                            WritePrecondition precondition, RequirementSet& requirements,
                            std::vector<std::string>& documents) {
  // The document's collection: its IDs but the last.
  const std::span<const std::string_view> collection = ids.first(ids.size() - 1);
  add_document(documents, ids);
  if (is_delete) {
    requirements.add_literal(Action::remove, collection);
  } else {
    requirements.add_literal_write(collection, precondition);  // update and transform
  }
}

Refusal require_query_selector(CollectionPattern parent, bool all_descendants,
                               std::string_view collection_id, RequirementSet& requirements) {
  CollectionPattern pattern = std::move(parent);
  if (all_descendants) pattern.segments.push_back(Segment::any_depth());
  if (collection_id.empty()) {
    pattern.segments.push_back(Segment::any_one());
  } else {
    if (Refusal refusal = check_id(collection_id)) {
      return ApiError::invalid_argument("structuredQuery.from collectionId: " + refusal->message);
    }
    pattern.segments.push_back(Segment::literal(std::string(collection_id)));
  }
  requirements.add(Action::query, pattern);
  return std::nullopt;
}

}  // namespace firewarden::firestore
