#pragma once
// Reading firewarden's own JSON access lines back (telemetry/access_log.hpp)
// for `firewarden suggest`: which workload required which (action,
// collection) pairs. Strict, like every other input: a line that cannot be
// read unambiguously is an error naming FILE:LINE, never skipped; only lines
// that are not request lines (TLS handshake failures, JSON diagnostics) and
// request lines that required nothing are skipped, and counted.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "firewarden/firestore/request_model.hpp"
#include "firewarden/identity/identity.hpp"

namespace firewarden::app {

// One distinct request the access lines show, and how many lines showed it.
struct Observation {
  identity::Identity who;                        // spiffe_id, trust_domain, and namespace and
                                                 // service account as the daemon extracted them
  std::vector<firestore::Requirement> required;  // as logged (concrete collection paths)
  // required[i]'s collection as a policy pattern: document IDs become `*`.
  std::vector<std::string> patterns;
  std::string decision;                     // allow | deny | error, as logged
  std::optional<std::string> impersonated;  // the Google service account, when logged
  std::size_t count = 0;
  std::string first_seen;  // FILE:LINE
};

struct AccessLogTally {
  std::vector<Observation> observations;  // distinct, in order of first appearance
  std::size_t request_lines = 0;          // access lines with requirements
  std::size_t nothing_required = 0;       // access lines without any: skipped
  std::size_t other_lines = 0;            // JSON lines that are not access lines: skipped
};

class AccessLogReader {
 public:
  // Reads one line (without its newline). `where` is "FILE:LINE" for the
  // error message. Returns why the line cannot be read, or nullopt.
  std::optional<std::string> add_line(std::string_view line, const std::string& where);
  const AccessLogTally& tally() const { return tally_; }

 private:
  AccessLogTally tally_;
  std::unordered_map<std::string, std::size_t> index_;  // observation key -> position
};

// A logged collection path ("orders/o1/items", "orders/**/items", "*") as
// the policy pattern that covers it and every sibling: the document IDs, a
// collection path's odd segments (collection/document/collection/…), become
// `*`; collection IDs stay literal. Returns why it cannot be written as a
// pattern (a collection ID holding `*` or braces, which a pattern would read
// as a wildcard or variable, an empty segment, …) as a string error.
struct GeneralisedPattern {
  firestore::CollectionPattern logged;
  std::string pattern;
};
std::optional<GeneralisedPattern> generalise_collection(std::string_view logged,
                                                        std::string& error);

}  // namespace firewarden::app
