#pragma once
// Helpers shared by the identity table tests.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "firewarden/identity/error.hpp"
#include "firewarden/identity/identity_rules.hpp"

namespace firewarden::identity::test {

// The refusal reason, or "" when `result` holds a value.
template <typename T>
std::string reason_of(const Result<T>& result) {
  const Error* error = std::get_if<Error>(&result);
  return error == nullptr ? std::string{} : error->reason;
}

// The refusal detail, or "" when `result` holds a value.
template <typename T>
std::string detail_of(const Result<T>& result) {
  const Error* error = std::get_if<Error>(&result);
  return error == nullptr ? std::string{} : error->detail;
}

// Rules trusting `trust_domains`, with the Kubernetes-style template of SPEC §2.
inline IdentityRules kubernetes_rules(std::vector<std::string> trust_domains = {"cluster.local"}) {
  Result<IdentityRules> rules =
      make_identity_rules(std::move(trust_domains), "/ns/{namespace}/sa/{service_account}");
  REQUIRE(reason_of(rules).empty());
  return std::get<IdentityRules>(std::move(rules));
}

}  // namespace firewarden::identity::test
