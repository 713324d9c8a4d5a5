#include "firewarden/firestore/resource_name.hpp"

#include <algorithm>

#include "firewarden/firestore/path.hpp"
#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore {
namespace {

// Inline for the usual request path (v1/projects/P/databases/D/documents/C/ID
// is 8 segments): no allocation per request.
using Parts = boost::container::small_vector<std::string_view, 16>;

Parts split(std::string_view text, char separator) {
  Parts parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

ApiError outside_documents(std::string_view path) {
  return ApiError::unimplemented(
      "firewarden serves only /v1/projects/{project}/databases/{database}/documents…; refused " +
      quote_input(path));
}

// Decodes and checks the IDs below documents/.
Checked<std::vector<std::string>> decode_ids(std::span<const std::string_view> raw_ids) {
  std::vector<std::string> ids;
  ids.reserve(raw_ids.size());
  for (const std::string_view raw : raw_ids) {
    Checked<std::string> id = decode_path_segment(raw);
    if (!id.ok()) return id.error();
    if (Refusal refusal = check_id(id.value())) return *refusal;
    ids.push_back(std::move(id).value());
  }
  return ids;
}

}  // namespace

std::string DocumentsPath::canonical() const {
  std::string out;
  out.reserve(128);  // the usual path in one allocation
  out += "/v1/projects/";
  out += encode_path_segment(database.project);
  out += "/databases/";
  out += encode_path_segment(database.database);
  out += "/documents";
  for (const std::string& segment : segments) {
    out += '/';
    out += encode_path_segment(segment);
  }
  if (!verb.empty()) {
    out += ':';
    out += verb;
  }
  return out;
}

Checked<DocumentsPath> parse_documents_path(std::string_view raw_path) {
  if (!raw_path.starts_with('/')) {
    return ApiError::invalid_argument("request target must be an absolute path: " +
                                      quote_input(raw_path));
  }
  // google.api.http: a custom method is ":verb" after the last segment. A ':'
  // anywhere else could be read as one by some server, so it is refused.
  DocumentsPath result;
  std::string_view path = raw_path;
  const std::size_t colon = path.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view verb = path.substr(colon + 1);
    if (path.find('/', colon) != std::string_view::npos || verb.empty() ||
        !std::all_of(verb.begin(), verb.end(), is_ascii_letter)) {
      return ApiError::invalid_argument(
          "':' in the path is only allowed before the custom method of the last segment: " +
          quote_input(raw_path));
    }
    result.verb = std::string(verb);
    path = path.substr(0, colon);
  }

  const Parts raw = split(path.substr(1), '/');
  if (std::any_of(raw.begin(), raw.end(), [](std::string_view s) { return s.empty(); })) {
    return ApiError::invalid_argument("empty segment in path " + quote_input(raw_path));
  }
  // Fixed segments are compared as sent: a percent-encoded "documents" is not
  // "documents" to every server.
  if (raw.size() < 6 || raw[0] != "v1" || raw[1] != "projects" || raw[3] != "databases" ||
      raw[5] != "documents") {
    return outside_documents(raw_path);
  }
  Checked<std::string> project = decode_path_segment(raw[2]);
  if (!project.ok()) return project.error();
  Checked<std::string> database = decode_path_segment(raw[4]);
  if (!database.ok()) return database.error();
  result.database = {std::move(project).value(), std::move(database).value()};

  Checked<std::vector<std::string>> ids =
      decode_ids(std::span<const std::string_view>(raw.data(), raw.size()).subspan(6));
  if (!ids.ok()) return ids.error();
  result.segments = std::move(ids).value();
  return result;
}

Checked<DocumentNameIds> document_name_ids(std::string_view name, const DatabaseRef& database) {
  // projects/P/databases/D/documents/ID/ID/…, read segment by segment.
  std::size_t at = 0;
  bool more = true;
  const auto next = [&] {
    const std::size_t slash = name.find('/', at);
    const std::string_view part = name.substr(at, slash - at);
    more = slash != std::string_view::npos;
    at = more ? slash + 1 : name.size();
    return part;
  };
  const std::string_view projects = next();
  const std::string_view project = more ? next() : std::string_view{};
  const std::string_view databases = more ? next() : std::string_view{};
  const std::string_view database_id = more ? next() : std::string_view{};
  const bool has_documents = more;
  const std::string_view documents = more ? next() : std::string_view{};
  if (!has_documents || projects != "projects" || databases != "databases" ||
      documents != "documents") {
    return ApiError::invalid_argument("not a document name: " + quote_input(name));
  }
  if (project != database.project || database_id != database.database) {
    return ApiError::invalid_argument("document name " + quote_input(name) +
                                      " is not in the request's database " +
                                      quote_input(database.name()));
  }
  DocumentNameIds ids;
  while (more) {
    const std::string_view id = next();
    if (Refusal refusal = check_id(id)) {
      return ApiError::invalid_argument("document name " + quote_input(name) + ": " +
                                        refusal->message);
    }
    ids.emplace_back(id);
  }
  if (ids.empty() || ids.size() % 2 != 0) {
    return ApiError::invalid_argument("names a collection or the root, not a document: " +
                                      quote_input(name));
  }
  return ids;
}

Checked<ResourceName> parse_resource_name(std::string_view name) {
  const Parts parts = split(name, '/');
  const bool is_database = parts.size() == 4;
  if (parts.size() < 4 || parts[0] != "projects" || parts[2] != "databases" || parts[1].empty() ||
      parts[3].empty() || (!is_database && parts[4] != "documents")) {
    return ApiError::invalid_argument("not a Firestore database or document resource name: " +
                                      quote_input(name));
  }
  ResourceName result;
  result.database = {std::string(parts[1]), std::string(parts[3])};
  result.below_database = !is_database;
  for (std::size_t i = 5; i < parts.size(); ++i) {
    if (Refusal refusal = check_id(parts[i])) {
      return ApiError::invalid_argument("resource name " + quote_input(name) + ": " +
                                        refusal->message);
    }
    result.ids.emplace_back(parts[i]);
  }
  return result;
}

Checked<std::vector<std::string>> parse_document_name(std::string_view name,
                                                      const DatabaseRef& database) {
  Checked<DocumentNameIds> ids = document_name_ids(name, database);
  if (!ids.ok()) return ids.error();
  return std::vector<std::string>(ids.value().begin(), ids.value().end());
}

}  // namespace firewarden::firestore
