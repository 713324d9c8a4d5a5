#pragma once
// A value, or the ApiError that says why the input it was read from was refused.
// (std::expected is C++23; this is the small part of it the classifier needs.)
#include <optional>
#include <utility>
#include <variant>

#include "firewarden/errors/api_error.hpp"

namespace firewarden::firestore {

// The classifier refuses with the proxy's error shape (errors/api_error.hpp).
using errors::ApiError;

// A check that only passes or refuses.
using Refusal = std::optional<ApiError>;

template <typename T>
class Checked {
 public:
  Checked(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Checked(ApiError error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const ApiError& error() const { return std::get<ApiError>(state_); }

 private:
  std::variant<T, ApiError> state_;
};

}  // namespace firewarden::firestore
