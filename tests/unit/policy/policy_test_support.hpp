#pragma once
// Helpers shared by the policy tests: load a policy from YAML text, make
// identities and request models from short strings.
#include <catch2/catch.hpp>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "firewarden/policy/policy.hpp"

namespace firewarden::policy::testing {

using firestore::Action;

inline yaml::Diagnostics load_errors(const std::string& yaml) {
  const LoadResult result =
      load_policy_text(yaml, "policy.yaml", [](const std::string&) { return std::nullopt; });
  if (const auto* errors = std::get_if<yaml::Diagnostics>(&result)) return *errors;
  return {};
}

inline std::shared_ptr<const Policy> load(const std::string& yaml) {
  LoadResult result =
      load_policy_text(yaml, "policy.yaml", [](const std::string&) { return std::nullopt; });
  if (const auto* errors = std::get_if<yaml::Diagnostics>(&result)) {
    for (const yaml::Diagnostic& error : *errors) UNSCOPED_INFO(error.to_string());
    FAIL("policy did not load");
  }
  return std::get<std::shared_ptr<const Policy>>(std::move(result));
}

// The policy file at `path`, read here: policy/ itself reads no files.
inline LoadResult load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return load_policy_text(text.str(), path, [](const std::string&) { return std::nullopt; });
}

// spiffe://cluster.local/ns/NS/sa/SA with both values extracted.
inline identity::Identity workload(const std::string& ns, const std::string& sa,
                                   const std::string& trust_domain = "cluster.local") {
  return {"spiffe://" + trust_domain + "/ns/" + ns + "/sa/" + sa, trust_domain, ns, sa};
}

// An identity whose path did not fit the template: no namespace, no SA.
inline identity::Identity untemplated(const std::string& path,
                                      const std::string& trust_domain = "cluster.local") {
  return {"spiffe://" + trust_domain + path, trust_domain, std::nullopt, std::nullopt, false};
}

// Calls `on_segment(piece)` for each `/`-separated piece of `text`.
template <typename OnSegment>
void for_each_segment(std::string_view text, OnSegment on_segment) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    on_segment(text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

// "orders/*/items" -> pattern; in this test notation `*` and `**` are the
// requirement wildcards (kindless, allDescendants).
inline firestore::CollectionPattern collection(std::string_view text) {
  firestore::CollectionPattern pattern;
  for_each_segment(text, [&](std::string_view piece) {
    if (piece == "*") {
      pattern.segments.push_back(firestore::Segment::any_one());
    } else if (piece == "**") {
      pattern.segments.push_back(firestore::Segment::any_depth());
    } else {
      pattern.segments.push_back(firestore::Segment::literal(std::string(piece)));
    }
  });
  return pattern;
}

inline firestore::RequestModel request(
    std::initializer_list<std::pair<Action, std::string_view>> requirements,
    std::string database = "(default)") {
  firestore::RequestModel model;
  model.method = "test";
  model.project = "my-project";
  model.database = std::move(database);
  for (const auto& [action, path] : requirements) {
    model.requirements.push_back({action, collection(path)});
  }
  return model;
}

}  // namespace firewarden::policy::testing
