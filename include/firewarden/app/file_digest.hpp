#pragma once
#include <optional>
#include <string>

namespace firewarden::app {

// The bytes of a file (following symlinks, as a Kubernetes ConfigMap mount
// needs), or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);
// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

}  // namespace firewarden::app
