#pragma once
// The caller's workload identity, as the policy sees it (SPEC §3).
#include <optional>
#include <string>

namespace firewarden::identity {

struct Identity {
  std::string spiffe_id;     // canonical, e.g. spiffe://cluster.local/ns/orders/sa/default
  std::string trust_domain;  // always set, e.g. cluster.local
  // Extracted through identity.path_template; absent when the ID's path does not
  // fit the template (the ID still authenticates, but rules that select by
  // namespace or service account cannot match it).
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;

  friend bool operator==(const Identity&, const Identity&) = default;
};

}  // namespace firewarden::identity
