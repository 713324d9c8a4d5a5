#pragma once
// One problem found in a YAML file, reported as FILE:LINE:COL: message.
#include <map>
#include <string>
#include <vector>

namespace firewarden::yaml {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown (e.g. file unreadable)
  int column = 0;  // 1-based
  std::string message;

  std::string to_string() const;  // "FILE:LINE:COL: message" (or "FILE: message")
};

using Diagnostics = std::vector<Diagnostic>;

// Where a key stands in its file, by key path ("identity.trust_domains[1]").
struct Position {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  // Empty: the file itself. Else where a value given outside the file came
  // from ("--set", "env FIREWARDEN_FIRESTORE_PROJECT"); line is then 0.
  std::string origin;
};
using Positions = std::map<std::string, Position, std::less<>>;

}  // namespace firewarden::yaml
