#pragma once
// Query parameters as an allowlist (SPEC §5): each method's own documented
// parameters in either spelling (lowerCamel or snake_case, per dotted component)
// but never both, plus the system parameters alt/$alt (JSON only), fields/$fields
// and prettyPrint/$prettyPrint. Everything else is refused. Names and values
// are percent-decoded once, as Google does (`%24alt` is `$alt`); a name still
// holding '%' after that, or one parameter given in two spellings or
// encodings, is refused.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firewarden/firestore/checked.hpp"

namespace firewarden::firestore {

enum class ParamType {
  string,
  boolean,    // exactly "true" or "false"
  int32,      // decimal
  timestamp,  // RFC 3339 (timestamp.hpp)
  bytes,      // base64
};

struct ParamSpec {
  std::string_view name;  // canonical lowerCamel, dotted: "currentDocument.exists"
  ParamType type = ParamType::string;
  bool repeated = false;     // may be given more than once (repeated proto field)
  std::string_view oneof{};  // parameters sharing a proto oneof: at most one of them
};

class QueryParams {
 public:
  // In order of appearance; canonical names, decoded values.
  std::vector<std::pair<std::string, std::string>> entries;

  const std::string* find(std::string_view canonical_name) const;

  // The parameters re-encoded canonically ("name=value&…", without '?').
  std::string to_query_string() const;
};

// Reads a raw query string (the part after '?', possibly empty).
// `method_params` are the parameters of the request's method.
Checked<QueryParams> read_query_params(std::string_view raw_query,
                                       std::span<const ParamSpec> method_params);

}  // namespace firewarden::firestore
