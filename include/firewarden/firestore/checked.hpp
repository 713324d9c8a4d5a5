#pragma once
// A value, or the ApiError that says why the input it was read from was refused:
// the project's result type (text/expected.hpp) with the classifier's error.
#include <optional>

#include "firewarden/errors/api_error.hpp"
#include "firewarden/text/expected.hpp"

namespace firewarden::firestore {

// The classifier refuses with the proxy's error shape (errors/api_error.hpp).
using errors::ApiError;

// A check that only passes or refuses.
using Refusal = std::optional<ApiError>;

template <typename T>
using Checked = text::Expected<T, ApiError>;

}  // namespace firewarden::firestore
