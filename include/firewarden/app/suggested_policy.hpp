#pragma once
// `firewarden suggest`: the least-privilege policy that allows exactly what
// the access logs show (access_log_reading.hpp), as policy YAML with comments
// that count the requests behind each rule.
//
// - One set of rules per caller: per (namespace, service account) when the
//   daemon extracted both, else per SPIFFE ID. Either way `principals` lists
//   the SPIFFE IDs seen, so the same names in another trust domain (SPIFFE
//   federation) are not allowed by a rule made from this one's requests.
// - Per collection pattern: document IDs become `*` (orders/o1/items ->
//   orders/*/items); collection IDs stay literal.
// - Actions exactly as observed per pattern: `read` only when get, list and
//   query were all seen, `write` only when create, update and delete were;
//   list_collections by name. Patterns with the same actions share a rule (a
//   rule grants every action on every collection it names, so patterns with
//   different actions cannot).
// - Every access line with requirements counts, whatever it was decided when
//   logged (allow, deny, or an error after classification such as an
//   upstream failure): the point is to allow what the workloads do,
//   including what an audit-mode daemon (or the current policy) denied. The
//   comments say how many were denied, so a reviewer sees what would be
//   newly allowed.
// - One impersonation entry per caller whose allowed requests all used the
//   same Google service account.
#include <optional>
#include <string>
#include <vector>

#include "firewarden/app/access_log_reading.hpp"

namespace firewarden::app {

// How the current policy (--policy) decides one observation.
struct CurrentVerdict {
  bool allowed = false;
  std::size_t first_denied = 0;  // index into Observation::required (deny only)
  std::string why;               // "no rule allows it" or "denied by rule R"
};

struct SuggestInput {
  const AccessLogTally* tally = nullptr;
  std::vector<std::string> files;  // the access logs, for the header
  // With --policy: its file, the database its rules were asked about, and one
  // verdict per observation (same order as tally->observations).
  std::optional<std::string> current_policy;
  std::string current_database;
  std::vector<CurrentVerdict> current;
};

std::string suggest_policy_yaml(const SuggestInput& input);

}  // namespace firewarden::app
