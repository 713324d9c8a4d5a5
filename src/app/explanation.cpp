#include "firewarden/app/explanation.hpp"

#include <nlohmann/json.hpp>

#include "firewarden/firestore/classify.hpp"
#include "firewarden/firestore/resource_name.hpp"
#include "firewarden/identity/identity_rules.hpp"

namespace firewarden::app {
namespace {

using ordered_json = nlohmann::ordered_json;  // keys in the documented order

// "METHOD TARGET", surrounding blanks ignored, exactly one run of blanks
// between the two.
bool split_request_line(std::string_view line, std::string_view& method, std::string_view& target) {
  constexpr std::string_view blanks = " \t";
  const std::size_t first = line.find_first_not_of(blanks);
  if (first == std::string_view::npos) return false;
  const std::size_t last = line.find_last_not_of(blanks);
  line = line.substr(first, last - first + 1);
  const std::size_t gap = line.find_first_of(blanks);
  if (gap == std::string_view::npos) return false;
  method = line.substr(0, gap);
  target = line.substr(line.find_first_not_of(blanks, gap));
  return target.find_first_of(blanks) == std::string_view::npos;
}

std::string describe(const identity::Error& error) {
  return error.detail.empty() ? error.reason : error.reason + ": " + error.detail;
}

std::string describe(const firestore::ApiError& error) {
  return std::to_string(error.http_status) + " " + error.status + ": " + error.message;
}

ordered_json optional_string(const std::optional<std::string>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json rule_or_null(const std::string& rule) {
  return rule.empty() ? ordered_json(nullptr) : ordered_json(rule);
}

// What the client gets back from Firestore: nothing for a denied request;
// for an allowed one, whether the response is cut because a write's response
// would show what the caller may not read (SPEC §4).
ordered_json response_json(const Explanation& explanation) {
  if (!explanation.allowed()) return nullptr;
  const auto& cut = explanation.decision.response_cut;
  return {
      {"cut", cut.has_value()},
      {"reason", cut ? ordered_json(policy::response_cut_reason(*cut)) : ordered_json(nullptr)}};
}

std::string summary(const Explanation& explanation) {
  if (!explanation.allowed()) return denial_summary(explanation);
  if (explanation.decision.requirements.empty()) {
    return "allowed: " + explanation.method + " reads and writes no documents";
  }
  return explanation.who.spiffe_id + " may " + explanation.method + " (allowed by rule " +
         explanation.decision.rule + ")";
}

}  // namespace

EvaluationSettings EvaluationSettings::from_config(const config::Config& config) {
  EvaluationSettings settings;
  settings.trust_domains = config.identity.trust_domains;
  settings.path_template = config.identity.path_template;
  settings.require_template = config.identity.require_template;
  settings.project = config.firestore.project;
  settings.databases = config.firestore.databases;
  return settings;
}

ExplainResult explain_request(const policy::Policy& policy, const Question& question,
                              const EvaluationSettings& settings) {
  // Identity: as identity.fixed_id is read, through the same rules.
  const auto id = identity::parse_presented_spiffe_id(question.identity);
  if (const auto* error = std::get_if<identity::Error>(&id)) {
    return InputProblem{"identity", describe(*error)};
  }
  auto rules = identity::make_identity_rules(
      settings.trust_domains.value_or(
          std::vector<std::string>{std::get<identity::SpiffeId>(id).trust_domain}),
      settings.path_template, settings.require_template);
  if (const auto* error = std::get_if<identity::Error>(&rules)) {
    return InputProblem{"identity", describe(*error)};
  }
  auto who = identity::identity_from_spiffe_id(id, std::get<identity::IdentityRules>(rules));
  if (const auto* error = std::get_if<identity::Error>(&who)) {
    return InputProblem{"identity", describe(*error)};
  }

  std::string_view method;
  std::string_view target;
  if (!split_request_line(question.request, method, target)) {
    return InputProblem{"request",
                        "expected 'METHOD PATH', e.g. 'GET /v1/projects/P/databases/"
                        "(default)/documents/orders/o1'"};
  }
  if (!target.starts_with('/')) {
    return InputProblem{"request", "the path must start with /v1/projects/"};
  }
  // The database the path names: the scope when there is no config, and what
  // a refusal reports.
  const auto path = firestore::parse_documents_path(target.substr(0, target.find('?')));
  if (!path.ok()) return InputProblem{"request", describe(path.error())};
  const firestore::DatabaseRef& named = path.value().database;

  firestore::Scope scope;
  if (settings.project) {
    scope = {*settings.project, settings.databases};
  } else {
    scope = {named.project, {named.database}};
  }
  firestore::HttpRequest request{method, target, {}, {}};
  if (question.body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = *question.body;
  }

  Explanation explanation;
  explanation.who = std::get<identity::Identity>(std::move(who));
  auto classified = firestore::classify(request, scope);
  if (auto* error = std::get_if<firestore::ApiError>(&classified)) {
    // 403 is the proxy's answer to another project or database: a denial, not
    // bad input. Everything else (400, 501) means the request cannot be asked.
    if (error->http_status != 403) return InputProblem{"request", describe(*error)};
    explanation.method = std::string(method);
    explanation.project = named.project;
    explanation.database = named.database;
    explanation.refused = std::move(*error);
    return explanation;
  }
  const auto& model = std::get<firestore::RequestModel>(classified);
  explanation.method = model.method;
  explanation.project = model.project;
  explanation.database = model.database;
  explanation.decision = policy.decide(explanation.who, model);
  return explanation;
}

std::string denial_summary(const Explanation& explanation) {
  if (explanation.refused) return explanation.refused->message;
  return policy::denial_sentence(explanation.who, explanation.decision);
}

std::string explanation_json(const Explanation& explanation) {
  const policy::Decision& decision = explanation.decision;
  const identity::Identity& who = explanation.who;

  ordered_json required = ordered_json::array();
  for (const auto& verdict : decision.requirements) {
    required.push_back({{"action", firestore::to_string(verdict.requirement.action)},
                        {"collection", verdict.requirement.collection.to_string()},
                        {"allowed", verdict.allowed},
                        {"rule", rule_or_null(verdict.rule)}});
  }
  ordered_json denied = nullptr;
  if (const auto* first = decision.first_denied()) {
    denied = {{"action", firestore::to_string(first->requirement.action)},
              {"collection", first->requirement.collection.to_string()},
              {"rule", rule_or_null(first->rule)}};
  }
  ordered_json dry_run = ordered_json::array();
  for (const auto& verdict : decision.dry_run) {
    dry_run.push_back({{"rule", verdict.rule}, {"would", verdict.would_allow ? "allow" : "deny"}});
  }

  ordered_json out = {
      {"decision", explanation.allowed() ? "allow" : "deny"},
      {"rule", rule_or_null(decision.rule)},
      {"identity",
       {{"spiffe_id", who.spiffe_id},
        {"trust_domain", who.trust_domain},
        {"namespace", optional_string(who.namespace_name)},
        {"service_account", optional_string(who.service_account)},
        {"fits_template", who.fits_template}}},
      {"method", explanation.method},
      {"project", explanation.project},
      {"database", explanation.database},
      {"required", std::move(required)},
      {"denied", std::move(denied)},
      {"dry_run", std::move(dry_run)},
      {"impersonate", optional_string(decision.impersonate)},
      {"response", response_json(explanation)},
      {"no_impersonation", decision.no_impersonation},
      {"message", summary(explanation)},
  };
  if (explanation.refused) {
    out["refused"] = {{"code", explanation.refused->http_status},
                      {"status", explanation.refused->status},
                      {"message", explanation.refused->message}};
  }
  // Input that reached here passed UTF-8 checks; replace rather than throw anyway.
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace firewarden::app
