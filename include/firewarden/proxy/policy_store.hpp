#pragma once
// The current policy, swapped atomically on reload (DESIGN.md: immutable
// snapshot behind shared_ptr<const T>); a request keeps the snapshot it
// started with.
//
// The swap is a mutex around the shared_ptr, not std::atomic<shared_ptr>:
// libstdc++ 12's atomic load releases its internal lock with a relaxed store,
// so a load does not happen-before the next store (ThreadSanitizer reports
// it under a reload with several workers). One uncontended lock per request
// costs less than the request's other locks.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "firewarden/policy/policy.hpp"

namespace firewarden::proxy {

struct PolicySnapshot {
  std::shared_ptr<const policy::Policy> policy;
  std::uint64_t generation = 0;
  std::string sha256;  // of the file's bytes, hex
  std::chrono::system_clock::time_point loaded_at;
  std::size_t rules = 0;
};

class PolicyStore {
 public:
  std::shared_ptr<const PolicySnapshot> current() const {
    std::lock_guard lock(current_mutex_);
    return current_;
  }
  // Installs a new policy; returns its generation.
  std::uint64_t install(std::shared_ptr<const policy::Policy> policy, std::string sha256);

  // The last reload failure (empty after a success), for /status.
  void set_last_error(std::string error);
  std::string last_error() const;

 private:
  mutable std::mutex current_mutex_;
  std::shared_ptr<const PolicySnapshot> current_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace firewarden::proxy
