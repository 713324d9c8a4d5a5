#pragma once
// The project's result type: a value, or the error that says why there is
// none (the small part of C++23's std::expected this code needs).
//
// It lives in text/ because text/ is the leaf without dependencies that the
// pure core and the I/O modules already link; errors/ would pull nlohmann
// (ApiError::to_json) into modules that have no use for it.
#include <type_traits>
#include <utility>
#include <variant>

namespace firewarden::text {

template <typename T, typename E>
class Expected {
  // Both constructors are implicit, so `return value;` and `return error;`
  // read naturally; with one type for both it could not tell which is meant.
  static_assert(!std::is_same_v<T, E>, "a value and its error need distinct types");

 public:
  // NOLINTNEXTLINE(google-explicit-constructor)
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  Expected(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

}  // namespace firewarden::text
