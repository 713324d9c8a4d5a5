// libFuzzer target: the strict body reader (json_tape + json_schema) against
// the nlohmann-DOM reader it replaced (tests/legacy_body, a test oracle only).
//
// Input: one selector byte, then the body. The selector picks the route the
// body is sent to (every method that carries a body); the request is always
// well-formed apart from its body, so the fuzzer spends its time in the body.
// Both classifiers must make the same decision: same status, same message
// (JSON syntax errors: same prefix), same requirements when accepted.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "differential.hpp"

namespace {

using firewarden::firestore::HttpRequest;
using firewarden::firestore::Scope;

struct Route {
  std::string_view method;
  std::string_view target;
};

const std::array<Route, 12> kRoutes = {{
    {"POST", "/v1/projects/p/databases/(default)/documents:commit"},
    {"POST", "/v1/projects/p/databases/(default)/documents:batchWrite"},
    {"POST", "/v1/projects/p/databases/(default)/documents:batchGet"},
    {"POST", "/v1/projects/p/databases/(default)/documents:runQuery"},
    {"POST", "/v1/projects/p/databases/(default)/documents/users/u1:runQuery"},
    {"POST", "/v1/projects/p/databases/(default)/documents:runAggregationQuery"},
    {"POST", "/v1/projects/p/databases/(default)/documents:partitionQuery"},
    {"POST", "/v1/projects/p/databases/(default)/documents:beginTransaction"},
    {"POST", "/v1/projects/p/databases/(default)/documents:rollback"},
    {"POST", "/v1/projects/p/databases/(default)/documents:listCollectionIds"},
    {"POST", "/v1/projects/p/databases/(default)/documents/users"},
    {"PATCH", "/v1/projects/p/databases/(default)/documents/users/alice"},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scope scope{"p", {"(default)", "db2"}};
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % kRoutes.size()];
  HttpRequest request;
  request.method = route.method;
  request.target = route.target;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string mismatch =
      firewarden::firestore::testing::differential_mismatch(request, scope);
  if (!mismatch.empty()) {
    std::fprintf(stderr, "%.*s %.*s\n%s\n", static_cast<int>(route.method.size()),
                 route.method.data(), static_cast<int>(route.target.size()), route.target.data(),
                 mismatch.c_str());
    std::abort();
  }
  return 0;
}
