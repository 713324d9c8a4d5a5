#pragma once
// REST request -> RequestModel (SPEC §5). Pure: no I/O, no clocks.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/http_request.hpp"
#include "firewarden/firestore/request_model.hpp"

namespace firewarden::firestore {

// Which project and databases this proxy serves (config firestore.project,
// firestore.databases). Anything else is refused with 403.
struct Scope {
  std::string project;
  std::vector<std::string> databases;
};

using ClassifyResult = std::variant<RequestModel, ApiError>;

// RequestModel::method is the Firestore RPC in lowerCamel: get, listDocuments,
// createDocument, patch, delete, batchGet, commit, batchWrite, runQuery,
// runAggregationQuery, partitionQuery, listCollectionIds, beginTransaction,
// rollback.
//
// Errors (SPEC §7): 400 for anything unreadable (§5 parsing rules, a method on
// the wrong kind of path, a body document name outside the URL's database —
// also when it names another project), 403 for a URL naming a project or
// database outside `scope`, 501 for :listen, :write, :executePipeline, unknown
// custom methods, HTTP methods other than GET/POST/PATCH/DELETE, and paths
// outside /v1/projects/{p}/databases/{d}/documents.
//
// Choices where the API leaves room (each refuses rather than guesses):
// - ':' in a path only introduces the custom method of the last segment; an
//   ID containing ':' must be sent as %3A, and is refused at the end of a
//   verb-less POST (a decode-first server would read it as a custom method).
// - A decoded segment that still holds a %XX escape (double encoding) is refused.
// - currentDocument.updateTime at or before the Unix epoch is refused: it looks
//   like an unset Timestamp, which a server could read as "no precondition".
// - JSON null is refused except as Value.nullValue (proto3 JSON reads null as
//   "unset", which would make a present-looking precondition absent).
// - A createDocument body may not carry a name; a patch body's name, if any,
//   must be the URL's document.
// - structuredQuery.from must be non-empty.
ClassifyResult classify(const HttpRequest& request, const Scope& scope);

}  // namespace firewarden::firestore
