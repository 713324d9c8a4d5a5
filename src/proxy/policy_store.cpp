#include "firewarden/proxy/policy_store.hpp"

namespace firewarden::proxy {

std::uint64_t PolicyStore::install(std::shared_ptr<const policy::Policy> policy,
                                   std::string sha256) {
  auto snapshot = std::make_shared<PolicySnapshot>();
  snapshot->rules = policy->rule_count();
  snapshot->policy = std::move(policy);
  snapshot->generation = ++generation_;
  snapshot->sha256 = std::move(sha256);
  snapshot->loaded_at = std::chrono::system_clock::now();
  const std::uint64_t generation = snapshot->generation;
  std::shared_ptr<const PolicySnapshot> previous = std::move(snapshot);
  {
    std::lock_guard lock(current_mutex_);
    current_.swap(previous);
  }
  // The old snapshot is released here, outside the lock: freeing a large
  // policy must not hold up requests.
  set_last_error({});
  return generation;
}

void PolicyStore::set_last_error(std::string error) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(error);
}

std::string PolicyStore::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

}  // namespace firewarden::proxy
