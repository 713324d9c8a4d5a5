#pragma once
// How the identity module says "no": one small error type and one result
// shape shared by every parser here (SPIFFE ID, path template, X.509-SVID,
// XFCC), so callers handle them all the same way.
#include <string>
#include <variant>

namespace firewarden::identity {

struct Error {
  // Short, stable, snake_case (e.g. "bad_trust_domain"). It becomes a metric
  // label (firewarden_tls_handshake_failures_total{reason}) and a log field,
  // so it never contains input text and never changes meaning.
  std::string reason;
  // For humans (logs, `firewarden check`). May be empty. Never echoes raw,
  // unvalidated input: only positions, names from trusted config, or values
  // that already passed validation.
  std::string detail;

  friend bool operator==(const Error&, const Error&) = default;
};

// Either the parsed value or why it was refused. Check with
// std::get_if<Error>(&result) / std::holds_alternative<T>(result).
template <typename T>
using Result = std::variant<T, Error>;

}  // namespace firewarden::identity
