#pragma once
// One JSON access line per request on stdout (SPEC §10). Tokens, keys and
// document contents never appear: the record has no field that could hold
// them.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace firewarden::telemetry {

struct AccessRecord {
  std::string request_id;
  std::string trace_id;
  std::string peer;  // "ip:port"
  std::string identity;
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;
  std::string method;  // Firestore RPC ("commit") or the HTTP method when unknown
  std::vector<std::pair<std::string, std::string>> required;  // (action, collection)
  std::string decision;                                       // allow | deny | error
  std::string rule;
  std::vector<std::pair<std::string, std::string>> dry_run;  // (rule, would: allow|deny)
  unsigned status = 0;
  std::optional<unsigned> upstream_status;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  double duration_ms = 0;
  std::optional<double> upstream_ms;
  std::optional<std::string> impersonated;
  std::string error;  // why the request was refused or failed, when it was
};

std::string to_json_line(const AccessRecord& record);  // one line, no newline

// A TLS handshake that failed: no request was read, so no AccessRecord; one
// line of its own in the same stream, {"log":"tls_handshake", ...}, so that
// refused clients show up next to the requests (SPEC §10, issue 6).
std::string handshake_failure_json_line(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason);

class AccessLog {
 public:
  explicit AccessLog(bool enabled);
  void write(const AccessRecord& record) const;
  void write_handshake_failure(std::uint64_t connection, const std::string& peer,
                               const std::string& reason) const;
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
};

}  // namespace firewarden::telemetry
