#pragma once
// What a Firestore request needs in order to be allowed: a transport-neutral
// list of (action, collection pattern) requirements (DESIGN.md: policy::decide
// never sees HTTP or JSON). The REST classifier produces it today; a gRPC
// front end will produce the same thing.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firewarden::firestore {

// SPEC §4 actions. `read` = get + list + query and `write` = create + update +
// delete are policy shorthands and never appear in a requirement.
enum class Action { get, list, query, create, update, remove, list_collections };

std::string_view to_string(Action action);
std::optional<Action> action_from_string(std::string_view name);  // "delete" -> remove

// One segment of a collection path as a request requires it. Document IDs and
// collection IDs are literals; queries add wildcards: `*` for a kindless query
// (any collection id) and `**` for allDescendants (any number of segments).
// A literal is never interpreted as a wildcard, whatever its text.
struct Segment {
  enum class Kind { literal, any_one, any_depth };
  Kind kind = Kind::literal;
  std::string text;  // the literal; empty for wildcards

  static Segment literal(std::string text) { return {Kind::literal, std::move(text)}; }
  static Segment any_one() { return {Kind::any_one, {}}; }
  static Segment any_depth() { return {Kind::any_depth, {}}; }
  friend bool operator==(const Segment&, const Segment&) = default;
};

// A set of collection paths relative to the database's `documents` root,
// e.g. orders/o1/items (exactly one path) or orders/**/items (a family).
struct CollectionPattern {
  std::vector<Segment> segments;

  // Display form for logs, errors and explain: wildcards as * and **, literals
  // as they are (a literal "*" document id prints the same; display only).
  std::string to_string() const;
  bool is_exact() const;  // no wildcard segment
  friend bool operator==(const CollectionPattern&, const CollectionPattern&) = default;
};

struct Requirement {
  Action action;
  CollectionPattern collection;
  friend bool operator==(const Requirement&, const Requirement&) = default;
};

// The classifier's answer for an acceptable request.
struct RequestModel {
  std::string method;    // Firestore RPC, e.g. "get", "commit", "runQuery"
  std::string project;   // from the URL
  std::string database;  // canonical, e.g. "(default)"
  // Every (action, collection) the request implies, de-duplicated, in order of
  // first appearance. Empty for beginTransaction/rollback.
  std::vector<Requirement> requirements;
  // The documents the request names (get, patch, delete, batchGet, the
  // writes of a commit), as paths from the database's documents root
  // ("orders/o1"), de-duplicated, in order: for the access log.
  std::vector<std::string> documents;
  // What upstream receives: exactly what was authorized.
  std::string upstream_target;  // canonical path + the allowed query string
  std::string upstream_body;    // the checked body, byte for byte
  // Google's routing hints, rebuilt from the checked database, never the
  // client's bytes; each is sent only when the client sent it (empty: not).
  std::string upstream_resource_prefix;  // google-cloud-resource-prefix
  std::string upstream_request_params;   // x-goog-request-params
};

}  // namespace firewarden::firestore
