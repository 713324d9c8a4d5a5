#include "firewarden/app/policy_cases.hpp"

#include <filesystem>
#include <set>

#include "firewarden/app/file_digest.hpp"
#include "firewarden/firestore/request_model.hpp"

namespace firewarden::app {
namespace {

CasePosition position_of(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};  // yaml-cpp marks are 0-based
}

// A required string: "PATH: required" at the case when absent.
std::optional<std::string> required_string(yaml::Reader& reader, yaml::MapView& view,
                                           std::string_view key) {
  const YAML::Node node = view.take(key);
  if (!node.IsDefined()) {
    reader.error(view.node(), view.path_of(key) + ": required");
    return std::nullopt;
  }
  return reader.string(node, view.path_of(key));
}

std::optional<PolicyCase::Requirement> read_expect_denied(yaml::Reader& reader,
                                                          const YAML::Node& node,
                                                          const std::string& path) {
  yaml::MapView view(reader, node, path, false);
  if (!view.valid()) return std::nullopt;
  const YAML::Node action_node = view.take("action");
  auto action = required_string(reader, view, "action");
  auto collection = required_string(reader, view, "collection");
  if (action && !firestore::action_from_string(*action)) {
    // read and write are policy shorthands; a requirement is one action.
    reader.error(action_node, path +
                                  ".action: expected one of get, list, query, create, update, "
                                  "delete, list_collections, got \"" +
                                  *action + "\"");
    return std::nullopt;
  }
  if (!action || !collection) return std::nullopt;
  return PolicyCase::Requirement{std::move(*action), std::move(*collection)};
}

std::optional<std::vector<PolicyCase::DryRun>> read_expect_dry_run(yaml::Reader& reader,
                                                                   const YAML::Node& node,
                                                                   const std::string& path) {
  if (!node.IsSequence()) {
    reader.error(node, path + ": expected a list of {rule, would}");
    return std::nullopt;
  }
  std::vector<PolicyCase::DryRun> verdicts;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    yaml::MapView view(reader, node[i], item, false);
    if (!view.valid()) {
      ok = false;
      continue;
    }
    auto rule = required_string(reader, view, "rule");
    std::optional<std::string> would;
    if (const YAML::Node would_node = view.take("would"); would_node.IsDefined()) {
      would = reader.one_of(would_node, view.path_of("would"), {"allow", "deny"});
    } else {
      reader.error(node[i], view.path_of("would") + ": required");
    }
    if (!rule || !would) {
      ok = false;
      continue;
    }
    verdicts.push_back({std::move(*rule), *would == "allow"});
  }
  if (!ok) return std::nullopt;
  return verdicts;
}

std::optional<PolicyCase> read_case(yaml::Reader& reader, const YAML::Node& node,
                                    const std::string& path, const std::string& base_directory) {
  yaml::MapView view(reader, node, path, false);
  if (!view.valid()) return std::nullopt;
  PolicyCase result;
  result.at = position_of(node);
  bool ok = true;

  auto name = required_string(reader, view, "name");
  if (name && name->empty()) {
    reader.error(view.take("name"), view.path_of("name") + ": must not be empty");
    name.reset();
  }
  result.identity_at = position_of(view.take("identity"));
  auto identity = required_string(reader, view, "identity");
  result.request_at = position_of(view.take("request"));
  auto request = required_string(reader, view, "request");
  ok = name && identity && request;

  const YAML::Node body = view.take("body");
  const YAML::Node body_file = view.take("body_file");
  if (body.IsDefined() && body_file.IsDefined()) {
    reader.error(body_file, path + ": give body or body_file, not both");
    ok = false;
  } else if (body.IsDefined()) {
    result.question.body = reader.string(body, view.path_of("body"));
    ok = ok && result.question.body;
  } else if (body_file.IsDefined()) {
    if (auto file = reader.string(body_file, view.path_of("body_file"))) {
      const std::filesystem::path resolved =
          std::filesystem::path(*file).is_absolute() || base_directory.empty()
              ? std::filesystem::path(*file)
              : std::filesystem::path(base_directory) / *file;
      result.question.body = read_file(resolved.string());
      if (!result.question.body) {
        reader.error(body_file, view.path_of("body_file") + ": cannot read " + resolved.string());
      }
    }
    ok = ok && result.question.body;
  }

  const YAML::Node expect_node = view.take("expect");
  std::optional<std::string> expect;
  if (!expect_node.IsDefined()) {
    reader.error(node, view.path_of("expect") + ": required");
  } else {
    expect = reader.one_of(expect_node, view.path_of("expect"), {"allow", "deny"});
  }
  ok = ok && expect;
  if (expect) result.expect_allow = *expect == "allow";

  if (const YAML::Node rule = view.take("expect_rule"); rule.IsDefined()) {
    result.expect_rule = reader.string(rule, view.path_of("expect_rule"));
    ok = ok && result.expect_rule;
  }
  if (const YAML::Node denied = view.take("expect_denied"); denied.IsDefined()) {
    result.expect_denied = read_expect_denied(reader, denied, view.path_of("expect_denied"));
    ok = ok && result.expect_denied;
    if (expect && result.expect_allow) {
      reader.error(denied, view.path_of("expect_denied") + ": only with expect: deny");
      ok = false;
    }
  }
  if (const YAML::Node dry_run = view.take("expect_dry_run"); dry_run.IsDefined()) {
    result.expect_dry_run = read_expect_dry_run(reader, dry_run, view.path_of("expect_dry_run"));
    ok = ok && result.expect_dry_run;
  }
  if (const YAML::Node cut = view.take("expect_response_cut"); cut.IsDefined()) {
    result.expect_response_cut = reader.boolean(cut, view.path_of("expect_response_cut"));
    ok = ok && result.expect_response_cut;
    if (expect && !result.expect_allow) {
      reader.error(cut, view.path_of("expect_response_cut") + ": only with expect: allow");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  result.name = std::move(*name);
  result.question.identity = std::move(*identity);
  result.question.request = std::move(*request);
  return result;
}

}  // namespace

yaml::Diagnostic PolicyCases::diagnostic(const CasePosition& at, const std::string& message) const {
  return yaml::Diagnostic{file, at.line, at.column, message};
}

CasesResult load_policy_cases_text(const std::string& text, const std::string& file_name,
                                   const std::string& base_directory, const yaml::EnvLookup& env) {
  yaml::Reader reader(file_name, env);
  const YAML::Node document = reader.parse(text);
  PolicyCases loaded{file_name, {}};
  if (reader.ok()) {
    yaml::MapView root(reader, document, "", false);
    const YAML::Node cases = root.take("cases");
    if (root.valid() && (!cases.IsSequence() || cases.size() == 0)) {
      // A file that tests nothing is a mistake, not a pass.
      reader.error(cases.IsDefined() ? cases : document, "cases: expected a non-empty list");
    } else if (root.valid()) {
      std::set<std::string, std::less<>> names;
      for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::string path = "cases[" + std::to_string(i) + "]";
        auto one = read_case(reader, cases[i], path, base_directory);
        if (!one) continue;
        if (!names.insert(one->name).second) {
          reader.error(cases[i]["name"], path + ".name: duplicate case name \"" + one->name + "\"");
          continue;
        }
        loaded.cases.push_back(std::move(*one));
      }
    }
  }
  if (!reader.ok()) return reader.take_diagnostics();
  return loaded;
}

CasesResult load_policy_cases_file(const std::string& path, const yaml::EnvLookup& env) {
  const auto text = read_file(path);
  if (!text) return yaml::Diagnostics{{path, 0, 0, "cannot read test cases file"}};
  const std::string directory = std::filesystem::path(path).parent_path().string();
  return load_policy_cases_text(*text, path, directory, env);
}

}  // namespace firewarden::app
