#pragma once
// Syntax checks for single policy values (private to the policy module).
#include <string_view>

namespace firewarden::policy::detail {

// Rule names appear in logs, metric labels and errors: keep them plain.
bool valid_rule_name(std::string_view name);
// Firestore database IDs: "(default)", or 4-63 characters of [a-z0-9-],
// starting with a letter and not ending with '-'.
bool valid_database_id(std::string_view id);
// A Google Cloud project ID: 6-30 characters of [a-z0-9-], starting with a
// letter, not ending with '-'.
bool valid_project_id(std::string_view id);
// The service account emails IAM can mint tokens for.
bool valid_service_account_email(std::string_view email);
// Any ASCII control character.
bool has_control(std::string_view text);

}  // namespace firewarden::policy::detail
