#pragma once
// Looking one field up in a HeaderList: for the gRPC paths (grpc-status,
// :status of a response) and the test clients alike.
#include <optional>
#include <string_view>

#include "firewarden/net/http2_stream.hpp"

namespace firewarden::transport {

// The value of the first field named `name` (lowercase, as a HeaderList
// holds names), viewing into `fields`; nullopt when there is none.
inline std::optional<std::string_view> field(const HeaderList& fields, std::string_view name) {
  for (const auto& [field_name, value] : fields) {
    if (field_name == name) return value;
  }
  return std::nullopt;
}

}  // namespace firewarden::transport
