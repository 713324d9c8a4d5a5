#include "firewarden/yaml/diagnostic.hpp"

namespace firewarden::yaml {

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace firewarden::yaml
