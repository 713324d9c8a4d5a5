// Policy YAML → PolicySpec → compiled Policy (SPEC §4). Every problem is
// reported, not only the first, as FILE:LINE:COL naming the key path; unknown
// keys anywhere are errors (a typo must not silently widen or narrow access).
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <stdexcept>

#include "firewarden/policy/policy.hpp"
#include "firewarden/policy/policy_spec.hpp"
#include "firewarden/text/ascii.hpp"
#include "firewarden/yaml/yaml_reader.hpp"
#include "policy_values.hpp"

namespace firewarden::policy {
namespace {

using yaml::MapView;
using yaml::Reader;
using namespace detail;  // NOLINT(google-build-using-namespace): the value checks

std::string item_path(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// A value quoted for a message, shortened so a huge one cannot flood the output.
std::string quoted(std::string_view text) { return text::quoted_prefix(text, 80); }

class PolicyReader {
 public:
  explicit PolicyReader(Reader& reader) : reader_(reader) {}

  void read(const YAML::Node& root, PolicySpec& spec) {
    MapView top(reader_, root, "", /*allow_missing=*/false);
    if (!top.valid()) return;
    read_version(root, top.take("version"));
    const YAML::Node rules = top.take("rules");
    if (!rules.IsDefined()) {
      reader_.error(root,
                    "rules: required (write `rules: []` for a policy that denies everything)");
    } else if (!rules.IsSequence()) {
      reader_.error(rules, "rules: expected a list of rules");
    } else {
      for (std::size_t i = 0; i < rules.size(); ++i) {
        if (auto rule = read_rule(rules[i], item_path("rules", i))) {
          spec.rules.push_back(std::move(*rule));
        }
      }
    }
    const YAML::Node required = top.take("impersonation_required");
    if (required.IsDefined()) {
      if (auto value = reader_.boolean(required, "impersonation_required")) {
        spec.impersonation_required = *value;
      }
    }
    const YAML::Node impersonation = top.take("impersonation");
    if (impersonation.IsDefined()) {
      if (!impersonation.IsSequence()) {
        reader_.error(impersonation, "impersonation: expected a list");
      } else {
        for (std::size_t i = 0; i < impersonation.size(); ++i) {
          if (auto entry = read_impersonation(impersonation[i], item_path("impersonation", i))) {
            spec.impersonation.push_back(std::move(*entry));
          }
        }
      }
    }
  }

 private:
  void read_version(const YAML::Node& root, const YAML::Node& node) {
    if (!node.IsDefined()) {
      reader_.error(root, "version: required (version: 1)");
      return;
    }
    const auto version = reader_.integer(node, "version", std::numeric_limits<std::int64_t>::min(),
                                         std::numeric_limits<std::int64_t>::max());
    if (version && *version != 1) {
      reader_.error(node, "version: unsupported policy version " + std::to_string(*version) +
                              " (this firewarden reads version 1)");
    }
  }

  // The string at `key` of `map` (whose node is `owner`); "PATH: required"
  // when absent.
  std::optional<std::string> required_string(const MapView& map, const YAML::Node& owner,
                                             const YAML::Node& value, std::string_view key) {
    if (value.IsDefined()) return reader_.string(value, map.path_of(key));
    reader_.error(owner, map.path_of(key) + ": required");
    return std::nullopt;
  }

  // A non-empty list of strings, each checked by `check` (returns a problem
  // or ""), errors at the offending item.
  template <typename Check>
  std::optional<std::vector<std::string>> read_list(const YAML::Node& node, const std::string& path,
                                                    Check check) {
    if (!node.IsSequence()) {
      // e.g. `actions: read` where `actions: [read]` is meant.
      reader_.error(node, path + ": expected a list" +
                              (node.IsScalar() ? ", got " + quoted(node.Scalar()) : ""));
      return std::nullopt;
    }
    if (node.size() == 0) {
      reader_.error(node, path + ": must not be empty");
      return std::nullopt;
    }
    std::vector<std::string> values;
    bool good = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string at = item_path(path, i);
      auto value = reader_.string(node[i], at);
      if (!value) {
        good = false;
        continue;
      }
      if (const std::string problem = check(*value); !problem.empty()) {
        reader_.error(node[i], at + ": " += problem);
        good = false;
        continue;
      }
      values.push_back(std::move(*value));
    }
    if (!good) return std::nullopt;
    return values;
  }

  // Reads the subject keys (namespaces, service_accounts, principals) of `map`.
  // Returns false when one of them is invalid.
  bool read_subject_keys(MapView& map, Subjects& subjects) {
    const auto segment_glob = [](const std::string& value) -> std::string {
      if (value.empty()) return "must not be empty";
      if (value.find('/') != std::string::npos) return "must not contain '/'";
      if (has_control(value)) return "control character";
      return {};
    };
    const auto principal_glob = [](const std::string& value) -> std::string {
      if (value.empty()) return "must not be empty";
      if (has_control(value)) return "control character";
      if (!value.starts_with("spiffe://") && !value.starts_with("*")) {
        return quoted(value) + " is not a SPIFFE ID pattern (spiffe://TRUST_DOMAIN/PATH, * = any)";
      }
      if (value.find("***") != std::string::npos) {
        return quoted(value) + ": write * (within one path segment) or ** (across segments)";
      }
      return {};
    };
    bool good = true;
    const auto read_key = [&](std::string_view key, auto check,
                              std::optional<std::vector<std::string>>& into) {
      const YAML::Node node = map.take(key);
      if (!node.IsDefined()) return;
      into = read_list(node, map.path_of(key), check);
      if (!into) good = false;
    };
    read_key("namespaces", segment_glob, subjects.namespaces);
    read_key("service_accounts", segment_glob, subjects.service_accounts);
    read_key("principals", principal_glob, subjects.principals);
    return good;
  }

  std::optional<RuleSpec> read_rule(const YAML::Node& node, const std::string& path) {
    MapView map(reader_, node, path, /*allow_missing=*/false);
    if (!map.valid()) return std::nullopt;
    RuleSpec rule;
    bool good = true;

    const YAML::Node name = map.take("name");
    if (auto value = required_string(map, node, name, "name")) {
      if (!valid_rule_name(*value)) {
        reader_.error(name, map.path_of("name") + ": " + quoted(*value) +
                                " is not a valid rule name (letters, digits, - _ . :, "
                                "starting with a letter or digit, at most 128 bytes)");
        good = false;
      } else if (const auto [first, inserted] = names_.emplace(*value, name.Mark().line + 1);
                 !inserted) {
        reader_.error(name, map.path_of("name") + ": duplicate rule name " + quoted(*value) +
                                " (first defined at line " + std::to_string(first->second) + ")");
        good = false;
      }
      rule.name = std::move(*value);
    } else {
      good = false;
    }

    bool effect_known = true;
    if (const YAML::Node effect = map.take("effect"); effect.IsDefined()) {
      const auto value = reader_.one_of(effect, map.path_of("effect"), {"allow", "deny"});
      if (value) {
        rule.effect = *value == "deny" ? Effect::deny : Effect::allow;
      } else {
        good = effect_known = false;
      }
    }
    if (const YAML::Node mode = map.take("mode"); mode.IsDefined()) {
      const auto value = reader_.one_of(mode, map.path_of("mode"), {"enforce", "dry-run"});
      if (value) {
        rule.mode = *value == "dry-run" ? Mode::dry_run : Mode::enforce;
      } else {
        good = false;
      }
    }

    const YAML::Node subjects = map.take("subjects");
    bool subjects_read = true;
    if (subjects.IsDefined()) {
      MapView subject_map(reader_, subjects, map.path_of("subjects"));
      subjects_read = subject_map.valid() && read_subject_keys(subject_map, rule.subjects);
      good = good && subjects_read;
    }
    if (effect_known && subjects_read && rule.effect == Effect::allow &&
        !rule.subjects.any_given()) {
      // Fail closed: an allow rule without subjects would allow every caller.
      reader_.error(subjects.IsDefined() ? subjects : node,
                    map.path_of("subjects") +
                        ": an allow rule must name its subjects (namespaces, service_accounts "
                        "or principals); to allow every caller say principals: [\"*\"]");
      good = false;
    }

    if (const YAML::Node databases = map.take("databases"); databases.IsDefined()) {
      rule.databases =
          read_list(databases, map.path_of("databases"), [](const std::string& id) -> std::string {
            if (valid_database_id(id)) return {};
            return quoted(id) + " is not a Firestore database ID ((default), or 4-63 of a-z 0-9 -)";
          });
      if (!rule.databases) good = false;
    }

    const YAML::Node collections = map.take("collections");
    if (!collections.IsDefined()) {
      reader_.error(node, map.path_of("collections") + ": required");
      good = false;
    } else {
      const auto patterns =
          read_list(collections, map.path_of("collections"), [&rule](const std::string& text) {
            auto parsed = parse_rule_pattern(text);
            if (!parsed.ok()) return parsed.error();
            rule.collections.push_back(std::move(parsed).value());
            return std::string();
          });
      if (!patterns) good = false;
    }

    const YAML::Node actions = map.take("actions");
    if (!actions.IsDefined()) {
      reader_.error(node, map.path_of("actions") + ": required");
      good = false;
    } else {
      const auto names = read_list(actions, map.path_of("actions"), [&rule](const std::string& a) {
        const auto bits = parse_action_name(a);
        if (!bits) {
          return "unknown action " + quoted(a) +
                 " (expected get, list, query, create, update, delete, list_collections, "
                 "read or write)";
        }
        rule.actions = static_cast<ActionSet>(rule.actions | *bits);
        return std::string();
      });
      if (!names) good = false;
    }

    if (!good) return std::nullopt;
    return rule;
  }

  std::optional<ImpersonationSpec> read_impersonation(const YAML::Node& node,
                                                      const std::string& path) {
    MapView map(reader_, node, path, /*allow_missing=*/false);
    if (!map.valid()) return std::nullopt;
    ImpersonationSpec entry;
    bool good = read_subject_keys(map, entry.subjects);
    if (good && !entry.subjects.any_given()) {
      reader_.error(node, path +
                              ": name the callers (namespaces, service_accounts or principals); "
                              "for every caller say principals: [\"*\"]");
      good = false;
    }
    const YAML::Node account = map.take("service_account");
    if (auto email = required_string(map, node, account, "service_account")) {
      if (!valid_service_account_email(*email)) {
        reader_.error(account, map.path_of("service_account") + ": " + quoted(*email) +
                                   " is not a Google service account email "
                                   "(NAME@PROJECT.iam.gserviceaccount.com)");
        good = false;
      }
      entry.service_account = std::move(*email);
    } else {
      good = false;
    }
    if (!good) return std::nullopt;
    return entry;
  }

  Reader& reader_;
  std::map<std::string, int, std::less<>> names_;  // rule name -> line of first definition
};

}  // namespace

LoadResult load_policy_text(const std::string& text, const std::string& file_name,
                            const EnvLookup& env) {
  Reader reader(file_name, env);
  PolicySpec spec;
  try {
    const YAML::Node root = reader.parse(text);
    if (reader.ok()) PolicyReader(reader).read(root, spec);
  } catch (const YAML::Exception& e) {
    reader.error(e.mark, "cannot read policy: " + e.msg);
  }
  if (!reader.ok()) return reader.take_diagnostics();
  try {
    return compile_policy(std::move(spec));
  } catch (const std::invalid_argument& e) {
    // The reader validates everything compile_policy checks; reaching this is
    // a bug, reported (and refused) rather than half-loaded.
    return yaml::Diagnostics{{file_name, 0, 0, std::string("internal error: ") + e.what()}};
  }
}

}  // namespace firewarden::policy
