#include "firewarden/config/diagnostic.hpp"

namespace firewarden::config {

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace firewarden::config
