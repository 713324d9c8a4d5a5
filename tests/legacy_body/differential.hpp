#pragma once
// Differential check: the production classify() against the nlohmann-DOM
// oracle (legacy::classify) on one request. They must make the same decision
// with the same status; refusals must say the same thing, except that JSON
// syntax errors are worded by each parser (both start "request body is not
// valid JSON (byte "); accepted requests must carry the very same model.
#include <string>
#include <string_view>
#include <variant>

#include "firewarden/firestore/classify.hpp"
#include "legacy_classify.hpp"

namespace firewarden::firestore::testing {

inline bool same_refusal(const ApiError& fresh, const ApiError& old) {
  if (fresh.http_status != old.http_status || fresh.status != old.status) return false;
  constexpr std::string_view kSyntax = "request body is not valid JSON (byte ";
  if (fresh.message.starts_with(kSyntax) && old.message.starts_with(kSyntax)) return true;
  return fresh.message == old.message;
}

inline bool same_model(const RequestModel& fresh, const RequestModel& old) {
  return fresh.method == old.method && fresh.project == old.project &&
         fresh.database == old.database && fresh.requirements == old.requirements &&
         fresh.upstream_target == old.upstream_target && fresh.upstream_body == old.upstream_body;
}

inline std::string describe_result(const ClassifyResult& result) {
  if (const auto* error = std::get_if<ApiError>(&result)) {
    return std::to_string(error->http_status) + " " + error->message;
  }
  const auto& model = std::get<RequestModel>(result);
  std::string out = "ok " + model.method + ":";
  for (const Requirement& r : model.requirements) {
    out += " [" + std::string(to_string(r.action)) + " " + r.collection.to_string() + "]";
  }
  return out;
}

// Empty when both classifiers agree; otherwise both answers.
inline std::string differential_mismatch(const HttpRequest& request, const Scope& scope) {
  const ClassifyResult fresh = classify(request, scope);
  const ClassifyResult old = legacy::classify(request, scope);
  const auto* fresh_error = std::get_if<ApiError>(&fresh);
  const auto* old_error = std::get_if<ApiError>(&old);
  bool same = false;
  if (fresh_error != nullptr && old_error != nullptr) {
    same = same_refusal(*fresh_error, *old_error);
  } else if (fresh_error == nullptr && old_error == nullptr) {
    same = same_model(std::get<RequestModel>(fresh), std::get<RequestModel>(old));
  }
  if (same) return {};
  return "tape: " + describe_result(fresh) + "\nnlohmann: " + describe_result(old);
}

}  // namespace firewarden::firestore::testing
