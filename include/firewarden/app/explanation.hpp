#pragma once
// One policy question answered offline, as the proxy would answer it: a SPIFFE
// ID and a Firestore REST request (method, path, optional JSON body) go
// through the same identity rules, classifier and Policy::decide as on the
// request path. Shared by `firewarden explain` (prints the answer as JSON) and
// `firewarden test` (compares it with a case's expectation).
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/config/config.hpp"
#include "firewarden/errors/api_error.hpp"
#include "firewarden/identity/identity.hpp"
#include "firewarden/policy/policy.hpp"

namespace firewarden::app {

// How identities and requests are read: from a config (identity.trust_domains,
// identity.path_template, firestore.project and databases), or, without one,
// defaults that take the question as it names itself.
struct EvaluationSettings {
  // nullopt: the SPIFFE ID's own trust domain is accepted.
  std::optional<std::vector<std::string>> trust_domains;
  std::string path_template = "/ns/{namespace}/sa/{service_account}";
  // As identity.require_template: an ID that does not fit path_template is
  // refused like an untrusted one (the proxy's 401).
  bool require_template = true;
  // nullopt: the project and database named in the request path are served.
  std::optional<std::string> project;
  std::vector<std::string> databases;  // with `project`

  static EvaluationSettings from_config(const config::Config& config);
};

struct Question {
  std::string identity;             // a SPIFFE ID
  std::string request;              // "METHOD PATH[?QUERY]"
  std::optional<std::string> body;  // sent as Content-Type: application/json
};

// The question could not be asked: a bad SPIFFE ID (or one from an untrusted
// trust domain), a malformed request line, or a request the classifier
// refuses as unreadable (400) or unsupported (501).
struct InputProblem {
  std::string field;    // "identity" or "request"
  std::string message;  // for humans, without the field name
};

struct Explanation {
  identity::Identity who;
  std::string method;  // Firestore RPC ("commit"); the HTTP method when refused
  std::string project;
  std::string database;  // canonical, e.g. "(default)"
  // Set when the classifier refused the request with 403 (a project or
  // database the config does not serve): denied before the policy is asked,
  // and `decision` is an empty deny.
  std::optional<errors::ApiError> refused;
  policy::Decision decision;

  bool allowed() const { return decision.allowed; }
};

using ExplainResult = std::variant<Explanation, InputProblem>;

ExplainResult explain_request(const policy::Policy& policy, const Question& question,
                              const EvaluationSettings& settings);

// One line naming why a denied request was denied, as the proxy's 403 says it:
// "spiffe://… may not delete in collection payments (no rule allows it)".
std::string denial_summary(const Explanation& explanation);

// The explanation as pretty-printed JSON (explain's output):
// {"decision","rule","identity":{spiffe_id,trust_domain,namespace,service_account,
//  fits_template},
//  "method","project","database","required":[{action,collection,allowed,rule}],
//  "denied":{action,collection,rule}|null,"dry_run":[{rule,would}],"impersonate",
//  "response":{cut,reason}|null (null when denied; cut: the write's response is
//  cut to what carries no document data, reason: why), "no_impersonation"
//  (denied by impersonation_required), "message", and
//  "refused":{code,status,message} for a 403 from the classifier}.
// Absent values (no rule, no namespace, …) are null.
std::string explanation_json(const Explanation& explanation);

}  // namespace firewarden::app
