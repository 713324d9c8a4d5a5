#include "firewarden/firestore/requirement_set.hpp"

#include <algorithm>

#include "firewarden/firestore/path.hpp"

namespace firewarden::firestore {
namespace {

// An unambiguous key: length-prefixed literals, so no text can imitate another
// segment list.
std::string key_of(Action action, const CollectionPattern& collection) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(action)));
  for (const Segment& segment : collection.segments) {
    key += static_cast<char>('a' + static_cast<int>(segment.kind));
    key += std::to_string(segment.text.size());
    key += ':';
    key += segment.text;
  }
  return key;
}

}  // namespace

void RequirementSet::add(Action action, const CollectionPattern& collection) {
  // A request names few distinct collections: compare with the list itself
  // until it is long, then keep a set of keys (a batchGet may name thousands).
  if (list_.size() < kLinearSearch) {
    for (const Requirement& known : list_) {
      if (known.action == action && known.collection == collection) return;
    }
    list_.push_back({action, collection});
    if (list_.size() == kLinearSearch) {
      for (const Requirement& known : list_) seen_.insert(key_of(known.action, known.collection));
    }
    return;
  }
  if (seen_.insert(key_of(action, collection)).second) list_.push_back({action, collection});
}

void RequirementSet::add_literal(Action action, std::span<const std::string_view> collection) {
  const auto same = [&](const Requirement& known) {
    return known.action == action &&
           std::equal(known.collection.segments.begin(), known.collection.segments.end(),
                      collection.begin(), collection.end(),
                      [](const Segment& segment, std::string_view literal) {
                        return segment.kind == Segment::Kind::literal && segment.text == literal;
                      });
  };
  // Known: nothing to add. Otherwise (or once the list is long and keyed) the
  // general path, which decides exactly as before.
  if (list_.size() < kLinearSearch && std::any_of(list_.begin(), list_.end(), same)) return;
  add(action, literal_collection(collection));
}

void RequirementSet::add_literal_write(std::span<const std::string_view> collection,
                                       WritePrecondition precondition) {
  if (precondition != WritePrecondition::must_exist) add_literal(Action::create, collection);
  if (precondition != WritePrecondition::must_not_exist) add_literal(Action::update, collection);
}

void RequirementSet::add_write(const CollectionPattern& collection,
                               WritePrecondition precondition) {
  if (precondition != WritePrecondition::must_exist) add(Action::create, collection);
  if (precondition != WritePrecondition::must_not_exist) add(Action::update, collection);
}

}  // namespace firewarden::firestore
