#pragma once
// Firestore resource names: the REST request path
// /v1/projects/P/databases/D/documents[/…][:verb] and the document names
// (projects/P/databases/D/documents/…) that request bodies carry.
#include <boost/container/small_vector.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/firestore/checked.hpp"

namespace firewarden::firestore {

struct DatabaseRef {
  std::string project;
  std::string database;  // canonical: "(default)", never "%28default%29"
  std::string name() const { return "projects/" + project + "/databases/" + database; }
  friend bool operator==(const DatabaseRef&, const DatabaseRef&) = default;
};

// A request path under /v1/{docs}, decoded.
struct DocumentsPath {
  DatabaseRef database;
  std::vector<std::string> segments;  // below documents/; empty for the root
  std::string verb;                   // custom method without the ':'; empty if none

  // The path re-encoded canonically (path.hpp encode_path_segment).
  std::string canonical() const;
};

// Reads the path part of a request target (no '?').
// 501 UNIMPLEMENTED for a well-formed path outside /v1/{docs}; 400 for an
// unreadable one (empty segments, bad escapes, invalid IDs below documents/, a ':'
// anywhere but before the custom method of the last segment, …).
// Does not check the project and database against the proxy's scope.
Checked<DocumentsPath> parse_documents_path(std::string_view raw_path);

// A document name from a request body. It is not percent-decoded (bodies carry
// names as they are). It must lie in `database` and name a document (an even,
// non-zero number of valid IDs below documents/). Returns those IDs.
Checked<std::vector<std::string>> parse_document_name(std::string_view name,
                                                      const DatabaseRef& database);

// The same checks and errors, the IDs as views into `name` (inline for the
// usual depth: no allocation per document name of a commit).
using DocumentNameIds = boost::container::small_vector<std::string_view, 8>;
Checked<DocumentNameIds> document_name_ids(std::string_view name, const DatabaseRef& database);

// A resource name as a gRPC request message carries it (not percent-decoded):
// projects/P/databases/D (a database), projects/P/databases/D/documents
// (its documents root) or a collection or document below that root. P and D
// must be non-empty; the IDs below documents/ are checked as
// document_name_ids checks them. 400 for anything else.
struct ResourceName {
  DatabaseRef database;
  bool below_database = false;  // the name goes on to documents[/…]
  DocumentNameIds ids;          // below documents/, views into the name
};
Checked<ResourceName> parse_resource_name(std::string_view name);

}  // namespace firewarden::firestore
