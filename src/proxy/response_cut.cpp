#include "firewarden/proxy/response_cut.hpp"

#include <initializer_list>
#include <nlohmann/json.hpp>

namespace firewarden::proxy {
namespace {

using json = nlohmann::ordered_json;  // kept fields stay in upstream's order

CutFailure fail(std::string reason) { return CutFailure{std::move(reason)}; }

// Copies `object[key]` into `out` when present; false when present but not a
// string (a timestamp or a resource name is always a JSON string, AIP-142).
bool keep_string(const json& object, const char* key, json& out) {
  const auto found = object.find(key);
  if (found == object.end()) return true;
  if (!found->is_string()) return false;
  out[key] = *found;
  return true;
}

bool keep_strings(const json& object, std::initializer_list<const char*> keys, json& out) {
  for (const char* key : keys) {
    if (!keep_string(object, key, out)) return false;
  }
  return true;
}

CutResult cut_document(const json& document) {
  json out = json::object();
  if (!keep_strings(document, {"name", "createTime", "updateTime"}, out)) {
    return fail("a Document's name, createTime or updateTime is not a string");
  }
  return out.dump();
}

// writeResults[]: each WriteResult keeps its updateTime; transformResults
// (the values after a transform) and anything else go.
std::variant<json, CutFailure> cut_write_results(const json& results) {
  if (!results.is_array()) return fail("writeResults is not an array");
  json out = json::array();
  for (const json& result : results) {
    if (!result.is_object()) return fail("a writeResults entry is not an object");
    json kept = json::object();
    if (!keep_string(result, "updateTime", kept)) return fail("updateTime is not a string");
    out.push_back(std::move(kept));
  }
  return out;
}

// BatchWrite's status[]: google.rpc.Status per write, as code and message.
// `details` (Any messages) go: nothing the client needs to see its write's
// fate is in them, and what they may hold is open-ended.
std::variant<json, CutFailure> cut_statuses(const json& statuses) {
  if (!statuses.is_array()) return fail("status is not an array");
  json out = json::array();
  for (const json& status : statuses) {
    if (!status.is_object()) return fail("a status entry is not an object");
    json kept = json::object();
    if (const auto code = status.find("code"); code != status.end()) {
      if (!code->is_number_integer()) return fail("a status code is not an integer");
      kept["code"] = *code;
    }
    if (!keep_string(status, "message", kept)) return fail("a status message is not a string");
    out.push_back(std::move(kept));
  }
  return out;
}

CutResult cut_write_response_object(const json& response) {
  json out = json::object();
  for (const auto& [key, value] : response.items()) {
    std::variant<json, CutFailure> kept;
    if (key == "writeResults") {
      kept = cut_write_results(value);
    } else if (key == "status") {
      kept = cut_statuses(value);
    } else if (key == "commitTime") {
      if (!value.is_string()) return fail("commitTime is not a string");
      kept = value;
    } else {
      continue;  // not on the allowlist
    }
    if (auto* failure = std::get_if<CutFailure>(&kept)) return std::move(*failure);
    out[key] = std::get<json>(std::move(kept));
  }
  return out.dump();
}

}  // namespace

WriteResponse write_response_of(std::string_view method) {
  if (method == "patch" || method == "createDocument") return WriteResponse::document;
  if (method == "commit" || method == "batchWrite") return WriteResponse::write_results;
  return WriteResponse::other;
}

CutResult cut_write_response(WriteResponse shape, std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes) {
    return fail("response body over " + std::to_string(max_bytes) + " bytes");
  }
  if (shape == WriteResponse::other) return std::string("{}");
  // No exceptions: an unreadable body is a value. nlohmann refuses invalid
  // UTF-8 and parses iteratively, so depth costs no stack; what is dumped
  // below is at most two levels deep.
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail("response body is not JSON");
  if (!parsed.is_object()) return fail("response body is not a JSON object");
  return shape == WriteResponse::document ? cut_document(parsed)
                                          : cut_write_response_object(parsed);
}

}  // namespace firewarden::proxy
