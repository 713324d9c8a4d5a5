#pragma once
// Shared helpers for the classifier tests: build a request, classify it against
// project "p" with databases "(default)" and "other-db", and describe the answer
// as short strings ("create orders", "query users/u1/**/*").
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "firewarden/firestore/classify.hpp"

namespace firewarden::firestore::testing {

inline const Scope kScope{"p", {"(default)", "other-db"}};
inline const std::string kDocs = "/v1/projects/p/databases/(default)/documents";
inline const std::string kDb = "projects/p/databases/(default)";

struct Request {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Adds Content-Type: application/json when there is a body and no headers were given.
inline ClassifyResult classify_request(const Request& r) {
  std::vector<std::pair<std::string, std::string>> headers = r.headers;
  if (headers.empty() && !r.body.empty()) headers.emplace_back("Content-Type", "application/json");
  HttpRequest http;
  http.method = r.method;
  http.target = r.target;
  http.body = r.body;
  for (const auto& [name, value] : headers) http.headers.emplace_back(name, value);
  return classify(http, kScope);
}

inline ClassifyResult classify_request(std::string method, std::string target,
                                       std::string body = {}) {
  return classify_request(Request{std::move(method), std::move(target), std::move(body), {}});
}

inline std::vector<std::string> describe(const std::vector<Requirement>& requirements) {
  std::vector<std::string> out;
  for (const Requirement& r : requirements) {
    out.push_back(std::string(to_string(r.action)) + " " + r.collection.to_string());
  }
  return out;
}

// "ok: <method>: <requirements…>" or "<http status> <status>: <message>", so a
// failing test shows what the classifier said.
inline std::string outcome(const ClassifyResult& result) {
  if (const auto* error = std::get_if<ApiError>(&result)) {
    return std::to_string(error->http_status) + " " + error->status + ": " + error->message;
  }
  const auto& model = std::get<RequestModel>(result);
  std::string out = "ok " + model.method + ":";
  for (const std::string& r : describe(model.requirements)) out += " [" + r + "]";
  return out;
}

inline int status_of(const ClassifyResult& result) {
  if (const auto* error = std::get_if<ApiError>(&result)) return error->http_status;
  return 200;
}

// One request per row and the HTTP status it must get (200: accepted).
// POST and PATCH rows send "{}" as their body.
struct StatusRow {
  const char* rule;
  std::string method;
  std::string target;
  int status;
};

inline void check_statuses(const std::vector<StatusRow>& rows) {
  for (const StatusRow& row : rows) {
    INFO(row.rule << ": " << row.method << " " << row.target);
    const bool has_body = row.method == "POST" || row.method == "PATCH";
    const auto result = classify_request(row.method, row.target, has_body ? "{}" : "");
    INFO(outcome(result));
    CHECK(status_of(result) == row.status);
  }
}

}  // namespace firewarden::firestore::testing
