#pragma once
// The test cases file of `firewarden test` (policy unit tests for GitOps CI),
// read strictly like the config and the policy: unknown and duplicate keys are
// errors, every error is reported at once as FILE:LINE:COL, and ${VAR} /
// ${VAR:-default} are expanded in string values ($$ is a literal $).
//
//   cases:
//     - name: orders may commit to orders          # required, unique
//       identity: spiffe://cluster.local/ns/orders/sa/default
//       request: POST /v1/projects/my-project/databases/(default)/documents:commit
//       body: '{"writes":[…]}'                     # optional JSON body, or
//       body_file: bodies/commit.json              #   a file, relative to this one
//       expect: allow                              # allow | deny
//       expect_rule: orders-own-orders             # optional: the deciding rule
//                                                  #   ("" = none: default deny)
//       expect_denied:                             # optional, deny only: the
//         action: delete                           #   first denied requirement
//         collection: payments
//       expect_dry_run:                            # optional: exactly these
//         - {rule: analytics-no-payments, would: deny}  # dry-run verdicts (any order)
//       expect_response_cut: false                 # optional, allow only: whether
//                                                  #   a write's response is cut
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/app/explanation.hpp"
#include "firewarden/yaml/diagnostic.hpp"
#include "firewarden/yaml/yaml_reader.hpp"

namespace firewarden::app {

struct CasePosition {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

struct PolicyCase {
  std::string name;
  Question question;
  bool expect_allow = false;
  std::optional<std::string> expect_rule;
  struct Requirement {
    std::string action;      // get, list, query, create, update, delete, list_collections
    std::string collection;  // as explain prints it, e.g. orders/**/items
  };
  std::optional<Requirement> expect_denied;
  struct DryRun {
    std::string rule;
    bool would_allow = false;
    friend bool operator==(const DryRun&, const DryRun&) = default;
  };
  std::optional<std::vector<DryRun>> expect_dry_run;
  // Whether the write's response is cut (SPEC §4: no get on a written collection).
  std::optional<bool> expect_response_cut;

  CasePosition at;           // the case's mapping
  CasePosition identity_at;  // its identity value
  CasePosition request_at;   // its request value
};

struct PolicyCases {
  std::string file;
  std::vector<PolicyCase> cases;  // at least one

  // "FILE:LINE:COL: message" at `at`.
  yaml::Diagnostic diagnostic(const CasePosition& at, const std::string& message) const;
};

using CasesResult = std::variant<PolicyCases, yaml::Diagnostics>;

// `file_name` names the text in diagnostics; body_file paths are read relative
// to `base_directory` (empty: the working directory).
CasesResult load_policy_cases_text(const std::string& text, const std::string& file_name,
                                   const std::string& base_directory, const yaml::EnvLookup& env);
// Reads `path` (unreadable: one diagnostic with line 0); body_file paths are
// relative to its directory.
CasesResult load_policy_cases_file(const std::string& path, const yaml::EnvLookup& env);

}  // namespace firewarden::app
