#pragma once
// The caller's workload identity, as the policy sees it (SPEC §3).
#include <optional>
#include <string>

namespace firewarden::identity {

struct Identity {
  std::string spiffe_id;     // canonical, e.g. spiffe://cluster.local/ns/orders/sa/default
  std::string trust_domain;  // always set, e.g. cluster.local
  // Extracted through identity.path_template; absent when the ID's path does not
  // fit the template, or the template has no such variable. A caller without a
  // value is matched by every deny rule that selects by that key and by no
  // allow rule or impersonation entry that does (SPEC §3).
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;
  // False when the path does not fit identity.path_template (only seen with
  // identity.require_template: false; otherwise such an ID is refused).
  bool fits_template = true;

  friend bool operator==(const Identity&, const Identity&) = default;
};

}  // namespace firewarden::identity
