#pragma once
// What each Firestore method requires (SPEC §5, §12), whichever wire the
// request came on: the REST classifier (classify.cpp) and the gRPC one
// (grpc_classify.cpp) read their own encodings and derive requirements here.
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/classify.hpp"
#include "firewarden/firestore/requirement_set.hpp"
#include "firewarden/firestore/resource_name.hpp"
#include "firewarden/firestore/timestamp.hpp"

namespace firewarden::firestore {

// 403 for a project or database outside the proxy's scope.
Refusal check_scope(const DatabaseRef& database, const Scope& scope);

// An updateTime precondition means "must exist". The Unix epoch is what an
// unset Timestamp looks like, so a server could read it as no precondition at
// all, i.e. an upsert; no document was ever updated then, so refusing costs
// nothing. `shown` is the precondition as the client wrote it, for the error.
Refusal check_update_time(const std::optional<Timestamp>& time, std::string_view shown);

// Appends the document whose IDs are `ids` ("orders/o1") unless already there.
template <typename Ids>
void add_document(std::vector<std::string>& documents, const Ids& ids) {
  std::string path;
  for (const auto& id : ids) {
    if (!path.empty()) path += '/';
    path += id;
  }
  if (std::find(documents.begin(), documents.end(), path) == documents.end()) {
    documents.push_back(std::move(path));
  }
}

// A document read (get, a batchGet entry, a Listen documents target):
// `get` on the document's collection. `ids` is an even, non-zero number of IDs.
void require_document_read(std::span<const std::string_view> ids, RequirementSet& requirements,
                           std::vector<std::string>& documents);

// A write of a commit (update, transform or delete) on the document `ids`:
// delete needs `delete`, the others what the precondition says (as PATCH).
void require_document_write(std::span<const std::string_view> ids, bool is_delete,
                            WritePrecondition precondition, RequirementSet& requirements,
                            std::vector<std::string>& documents);

// One structuredQuery.from entry below `parent`: `query` on PARENT/C;
// allDescendants puts ** before C, a kindless selector (empty collection id)
// has * in C's place. 400 for an invalid collection id.
Refusal require_query_selector(CollectionPattern parent, bool all_descendants,
                               std::string_view collection_id, RequirementSet& requirements);

}  // namespace firewarden::firestore
