#pragma once
// One problem found in a YAML file, reported as FILE:LINE:COL: message.
#include <string>
#include <vector>

namespace firewarden::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown (e.g. file unreadable)
  int column = 0;  // 1-based
  std::string message;

  std::string to_string() const;  // "FILE:LINE:COL: message" (or "FILE: message")
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace firewarden::config
