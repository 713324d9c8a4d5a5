#pragma once
// The shape shared by Google Cloud project IDs, Firestore database IDs and
// service account names: lowercase letters, digits and '-', starting with a
// letter and not ending with '-'. One definition for config/ and policy/,
// which must not depend on each other.
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace firewarden::text {

// [a-z][a-z0-9-]* not ending with '-', min_size..max_size bytes.
constexpr bool is_lowercase_id(std::string_view id, std::size_t min_size, std::size_t max_size) {
  if (id.size() < min_size || id.size() > max_size || id.empty()) return false;
  if (id.front() < 'a' || id.front() > 'z' || id.back() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// A Firestore database ID: "(default)", or 4 to 63 bytes of the shape above.
constexpr bool is_database_id(std::string_view id) {
  return id == "(default)" || is_lowercase_id(id, 4, 63);
}

}  // namespace firewarden::text
