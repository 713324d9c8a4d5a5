#pragma once
// The parts of an HTTP request the Firestore checks read, as views into a
// request the caller owns: the classifier and the header rules take this, not
// a transport's request type, so any producer (HTTP/1.1 today) can feed them.
#include <string_view>
#include <utility>
#include <vector>

namespace firewarden::firestore {

// Header names are compared case-insensitively; a header may appear more than once.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", …
  std::string_view target;  // origin-form: path and optional ?query
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

}  // namespace firewarden::firestore
