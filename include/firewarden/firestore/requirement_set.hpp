#pragma once
// Collects a request's requirements: de-duplicated, in order of first
// appearance (a 500-write commit to one collection needs each action once).
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "firewarden/firestore/request_model.hpp"

namespace firewarden::firestore {

// What a write's precondition says about the document (SPEC §5, PATCH row).
enum class WritePrecondition {
  none,            // upsert: may create or update
  must_exist,      // currentDocument.exists=true or currentDocument.updateTime: update
  must_not_exist,  // currentDocument.exists=false: create
};

class RequirementSet {
 public:
  void add(Action action, const CollectionPattern& collection);

  // A document write on `collection` as SPEC §5 reads PATCH: update, create, or both.
  void add_write(const CollectionPattern& collection, WritePrecondition precondition);

  // The same for a literal collection path given as views (e.g. into a request
  // body): its CollectionPattern is only built when it is new, so a commit of
  // many writes to one collection builds it once.
  void add_literal(Action action, std::span<const std::string_view> collection);
  void add_literal_write(std::span<const std::string_view> collection,
                         WritePrecondition precondition);

  std::vector<Requirement> take() && { return std::move(list_); }

 private:
  static constexpr std::size_t kLinearSearch = 16;
  std::vector<Requirement> list_;
  std::unordered_set<std::string> seen_;  // keys of list_, once it holds kLinearSearch
};

}  // namespace firewarden::firestore
