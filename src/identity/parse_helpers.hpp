#pragma once
// What the identity parsers share: how a refusal is made, the result of a
// check that only passes or refuses, and the character class the SPIFFE ID
// and the path template both define their syntax with.
#include <optional>
#include <string>
#include <utility>

#include "firewarden/identity/error.hpp"

namespace firewarden::identity::detail {

// `return refuse("reason", "detail");` from a parser returning Result<T> or
// an optional Error.
inline Error refuse(std::string reason, std::string detail) {
  return Error{std::move(reason), std::move(detail)};
}

// A check that passes (nullopt) or says why not.
using MaybeError = std::optional<Error>;

// [a-z0-9]: a SPIFFE trust domain's letters and digits (SPIFFE-ID §2.1), and
// a Kubernetes name's (RFC 1123 labels, lower case only).
constexpr bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace firewarden::identity::detail
