#include "policy_values.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>

#include "firewarden/text/ids.hpp"

namespace firewarden::policy::detail {
namespace {

constexpr std::size_t kMaxRuleNameBytes = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

// Rule names appear in logs, metric labels and errors: keep them plain.
bool valid_rule_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRuleNameBytes) return false;
  if (std::isalnum(static_cast<unsigned char>(name.front())) == 0) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

bool valid_database_id(std::string_view id) { return text::is_database_id(id); }

bool valid_project_id(std::string_view id) { return text::is_lowercase_id(id, 6, 30); }

// The service account emails IAM can mint tokens for:
//   NAME@PROJECT.iam.gserviceaccount.com (PROJECT may be domain-scoped,
//     "my-project.example.com" for "example.com:my-project"),
//   NUMBER-compute@developer.gserviceaccount.com (Compute Engine default),
//   PROJECT@appspot.gserviceaccount.com (App Engine default).
bool valid_service_account_email(std::string_view email) {
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  constexpr std::string_view kIam = ".iam.gserviceaccount.com";
  if (domain == "developer.gserviceaccount.com") {
    constexpr std::string_view kCompute = "-compute";
    if (!local.ends_with(kCompute) || local.size() == kCompute.size()) return false;
    const std::string_view number = local.substr(0, local.size() - kCompute.size());
    return std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  if (domain == "appspot.gserviceaccount.com") return valid_project_id(local);
  if (!domain.ends_with(kIam)) return false;
  // The account name follows the project ID rules (6-30, [a-z][a-z0-9-]*[a-z0-9]).
  if (!valid_project_id(local)) return false;
  std::string_view project = domain.substr(0, domain.size() - kIam.size());
  const std::size_t dot = project.find('.');
  if (!valid_project_id(project.substr(0, dot))) return false;
  if (dot == std::string_view::npos) return true;
  // Domain labels of a domain-scoped project.
  std::string_view rest = project.substr(dot + 1);
  while (true) {
    const std::size_t next = rest.find('.');
    const std::string_view label = rest.substr(0, next);
    if (label.empty() || !std::all_of(label.begin(), label.end(),
                                      [](char c) { return is_lower_alnum(c) || c == '-'; })) {
      return false;
    }
    if (next == std::string_view::npos) return true;
    rest = rest.substr(next + 1);
  }
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

}  // namespace firewarden::policy::detail
