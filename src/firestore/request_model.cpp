#include "firewarden/firestore/request_model.hpp"

#include <array>
#include <utility>

namespace firewarden::firestore {
namespace {

constexpr std::array<std::pair<Action, std::string_view>, 7> kActionNames{{
    {Action::get, "get"},
    {Action::list, "list"},
    {Action::query, "query"},
    {Action::create, "create"},
    {Action::update, "update"},
    {Action::remove, "delete"},
    {Action::list_collections, "list_collections"},
}};

}  // namespace

std::string_view to_string(Action action) {
  for (const auto& [value, name] : kActionNames) {
    if (value == action) return name;
  }
  return "unknown";
}

std::optional<Action> action_from_string(std::string_view name) {
  for (const auto& [value, action_name] : kActionNames) {
    if (action_name == name) return value;
  }
  return std::nullopt;
}

std::string CollectionPattern::to_string() const {
  std::string out;
  for (const Segment& segment : segments) {
    if (!out.empty()) out += '/';
    switch (segment.kind) {
      case Segment::Kind::literal:
        out += segment.text;
        break;
      case Segment::Kind::any_one:
        out += '*';
        break;
      case Segment::Kind::any_depth:
        out += "**";
        break;
    }
  }
  return out;
}

bool CollectionPattern::is_exact() const {
  for (const Segment& segment : segments) {
    if (segment.kind != Segment::Kind::literal) return false;
  }
  return true;
}

}  // namespace firewarden::firestore
