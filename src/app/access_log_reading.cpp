#include "firewarden/app/access_log_reading.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "firewarden/identity/spiffe_id.hpp"
#include "firewarden/policy/rule_pattern.hpp"

namespace firewarden::app {
namespace {

using nlohmann::json;

// Parses one line as JSON, refusing duplicate keys at any depth (nlohmann
// silently keeps the last one; a line that says two things is not read).
std::optional<json> parse_strict(std::string_view line, std::string& error) {
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  const auto on_event = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == json::parse_event_t::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = true;
    }
    return true;
  };
  json value = json::parse(line, on_event, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    error =
        "not a JSON line (suggest reads the access log, firewarden's stdout with "
        "logging.format: json or gcp)";
    return std::nullopt;
  }
  if (duplicate) {
    error = "duplicate key in a JSON object";
    return std::nullopt;
  }
  if (!value.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  return value;
}

// A string field that must be present (null allowed when `nullable`).
bool read_text(const json& line, const char* key, bool nullable, std::optional<std::string>& into,
               std::string& error) {
  const auto found = line.find(key);
  if (found == line.end()) {
    error = std::string("no \"") + key + "\" field";
    return false;
  }
  if (found->is_null() && nullable) {
    into.reset();
    return true;
  }
  if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
    error = std::string("\"") + key + "\" is not a non-empty string" + (nullable ? " or null" : "");
    return false;
  }
  into = found->get<std::string>();
  return true;
}

// A string field that may be absent or null.
bool read_optional_text(const json& line, const char* key, std::optional<std::string>& into,
                        std::string& error) {
  return line.find(key) == line.end() || read_text(line, key, true, into, error);
}

bool read_identity(const json& line, identity::Identity& who, std::string& error) {
  std::optional<std::string> spiffe_id;
  if (!read_text(line, "identity", false, spiffe_id, error) ||
      !read_text(line, "namespace", true, who.namespace_name, error) ||
      !read_text(line, "service_account", true, who.service_account, error)) {
    return false;
  }
  const auto parsed = identity::parse_spiffe_id(*spiffe_id);
  if (const auto* problem = std::get_if<identity::Error>(&parsed)) {
    error = "\"identity\" is not a SPIFFE ID (" + problem->reason + ")";
    return false;
  }
  who.spiffe_id = *spiffe_id;
  who.trust_domain = std::get<identity::SpiffeId>(parsed).trust_domain;
  // Subjects are globs: a name holding `*` could not be selected exactly.
  for (const auto* name : {&who.namespace_name, &who.service_account}) {
    if (*name && name->value().find_first_of("*/") != std::string::npos) {
      error = "namespace or service account \"" + name->value() + "\" holds '*' or '/'";
      return false;
    }
  }
  return true;
}

bool read_required(const json& line, Observation& seen, std::string& error) {
  const auto found = line.find("required");
  if (found == line.end() || !found->is_array()) {
    error = "\"required\" is not a list";
    return false;
  }
  for (const json& item : *found) {
    const auto action = item.find("action");
    const auto collection = item.find("collection");
    if (!item.is_object() || item.size() != 2 || action == item.end() || collection == item.end() ||
        !action->is_string() || !collection->is_string()) {
      error = "\"required\" entries must be {\"action\": …, \"collection\": …}";
      return false;
    }
    const auto known = firestore::action_from_string(action->get_ref<const std::string&>());
    if (!known) {
      error = "unknown action \"" + action->get<std::string>() + "\"";
      return false;
    }
    auto generalised = generalise_collection(collection->get_ref<const std::string&>(), error);
    if (!generalised) return false;
    seen.required.push_back({*known, std::move(generalised->logged)});
    seen.patterns.push_back(std::move(generalised->pattern));
  }
  return true;
}

// What makes two lines the same observation (a separator no field can hold).
std::string observation_key(const Observation& seen) {
  std::string key = seen.who.spiffe_id;
  for (const auto* part :
       {&seen.who.namespace_name, &seen.who.service_account, &seen.impersonated}) {
    key += *part ? '\x1f' + **part : std::string("\x1e");
  }
  key += '\x1f' + seen.decision;
  for (const auto& requirement : seen.required) {
    key += '\x1f';
    key += firestore::to_string(requirement.action);
    key += ' ' + requirement.collection.to_string();
  }
  return key;
}

}  // namespace

std::optional<GeneralisedPattern> generalise_collection(std::string_view logged,
                                                        std::string& error) {
  using firestore::Segment;
  GeneralisedPattern out;
  std::vector<std::string_view> pieces;
  for (std::size_t start = 0;;) {
    const std::size_t slash = logged.find('/', start);
    pieces.push_back(logged.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (const std::string_view piece : pieces) {
    // The log prints wildcards as * and ** (CollectionPattern::to_string).
    if (piece == "*") {
      out.logged.segments.push_back(Segment::any_one());
    } else if (piece == "**") {
      out.logged.segments.push_back(Segment::any_depth());
    } else if (piece.empty() || piece.find_first_of("*{}") != std::string_view::npos) {
      error = "collection \"" + std::string(logged) +
              "\" cannot be written as a policy pattern (an empty segment, or '*' or braces "
              "inside an ID)";
      return std::nullopt;
    } else {
      out.logged.segments.push_back(Segment::literal(std::string(piece)));
    }
  }
  // A document ID sits at an odd position counted from the start, before any
  // `**`, and at an odd distance from the end (the last segment is always a
  // collection ID) after it.
  const auto& segments = out.logged.segments;
  const std::size_t n = segments.size();
  std::size_t first_any_depth = n;
  std::size_t last_any_depth = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (segments[i].kind != Segment::Kind::any_depth) continue;
    if (first_any_depth == n) first_any_depth = i;
    last_any_depth = i;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) out.pattern += '/';
    const Segment& segment = segments[i];
    const bool before = i < first_any_depth;
    const bool after = last_any_depth != n && i > last_any_depth;
    const bool document_id = (before && i % 2 == 1) || (after && (n - 1 - i) % 2 == 1);
    if (segment.kind == Segment::Kind::literal && !document_id) {
      out.pattern += segment.text;
    } else {
      out.pattern += segment.kind == Segment::Kind::any_depth ? "**" : "*";
    }
  }
  // The policy loader's own checks (segment count, reserved IDs, a path that
  // names documents): what it would refuse, suggest cannot write.
  const auto checked = policy::parse_rule_pattern(out.pattern);
  if (!checked.ok()) {
    error = "collection \"" + std::string(logged) +
            "\" cannot be written as a policy pattern: " + checked.error();
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> AccessLogReader::add_line(std::string_view line,
                                                     const std::string& where) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  std::string error;
  const auto parsed = parse_strict(line, error);
  if (!parsed) return where + ": " + error;
  const json& fields = *parsed;
  const auto kind = fields.find("log");
  if (kind == fields.end() || *kind != "access") {  // {"log":"tls_handshake"}, diagnostics
    ++tally_.other_lines;
    return std::nullopt;
  }

  Observation seen;
  const auto decision = fields.find("decision");
  if (decision == fields.end() ||
      (*decision != "allow" && *decision != "deny" && *decision != "error")) {
    return where + ": \"decision\" is not allow, deny or error";
  }
  seen.decision = decision->get<std::string>();
  if (!read_required(fields, seen, error)) return where + ": " + error;
  if (seen.required.empty()) {
    // Refused before the policy was asked (401, 400, 501), or a request that
    // touches no data (beginTransaction, rollback): nothing to allow.
    ++tally_.nothing_required;
    return std::nullopt;
  }
  if (!read_identity(fields, seen.who, error)) return where + ": " + error;
  if (!read_optional_text(fields, "impersonated", seen.impersonated, error)) {
    return where + ": " + error;
  }

  ++tally_.request_lines;
  const auto [position, inserted] =
      index_.try_emplace(observation_key(seen), tally_.observations.size());
  if (inserted) {
    seen.first_seen = where;
    tally_.observations.push_back(std::move(seen));
  }
  ++tally_.observations[position->second].count;
  return std::nullopt;
}

}  // namespace firewarden::app
