// The subject index: rules filed under a literal subject value, so a
// decision looks only at the rules that can apply to its caller (the walk
// over them, for_each_candidate, is inlined from compiled_policy.hpp).
#include <algorithm>

#include "compiled_policy.hpp"

namespace firewarden::policy::detail {

void SubjectIndex::index_subjects(const Subjects& subjects, bool deny, std::uint32_t rule) {
  const auto literal_only = [](const std::optional<std::vector<std::string>>& values) {
    return values && std::none_of(values->begin(), values->end(), [](const std::string& v) {
             return v.find('*') != std::string::npos;
           });
  };
  const auto file_under = [rule](RuleIndex& index, const std::vector<std::string>& values) {
    for (const std::string& value : values) {
      std::vector<std::uint32_t>& bucket = index[value];
      if (bucket.empty() || bucket.back() != rule) bucket.push_back(rule);
    }
  };
  if (literal_only(subjects.namespaces)) {
    file_under(by_namespace_, *subjects.namespaces);
    if (deny) namespace_denies_.push_back(rule);
  } else if (literal_only(subjects.principals)) {
    file_under(by_principal_, *subjects.principals);
  } else if (literal_only(subjects.service_accounts)) {
    file_under(by_service_account_, *subjects.service_accounts);
    if (deny) service_account_denies_.push_back(rule);
  } else {
    general_.push_back(rule);
  }
}

std::span<const std::uint32_t> SubjectIndex::lookup(const RuleIndex& index,
                                                    const std::optional<std::string>& key) {
  if (!key) return {};
  const auto found = index.find(std::string_view(*key));
  if (found == index.end()) return {};
  return found->second;
}

}  // namespace firewarden::policy::detail
