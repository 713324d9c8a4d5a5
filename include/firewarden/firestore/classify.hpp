#pragma once
// REST request -> RequestModel (SPEC §5). Pure: no I/O, no clocks.
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "firewarden/firestore/api_error.hpp"
#include "firewarden/firestore/request_model.hpp"

namespace firewarden::firestore {

// The parts of an HTTP request the classifier reads. Header names are
// compared case-insensitively; a header may appear more than once.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", …
  std::string_view target;  // origin-form: path and optional ?query
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

// Which project and databases this proxy serves (config firestore.project,
// firestore.databases). Anything else is refused with 403.
struct Scope {
  std::string project;
  std::vector<std::string> databases;
};

using ClassifyResult = std::variant<RequestModel, ApiError>;

ClassifyResult classify(const HttpRequest& request, const Scope& scope);

}  // namespace firewarden::firestore
