// The policy in force is read by every request on every worker while a reload
// replaces it: each read must see one whole snapshot, and never an older one
// than a read before it on the same thread. (Under ThreadSanitizer this test
// is also the check that the swap is race-free; see policy_store.hpp.)
#include "firewarden/proxy/policy_store.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "firewarden/policy/policy_spec.hpp"

namespace firewarden::proxy {
namespace {

std::shared_ptr<const policy::Policy> empty_policy() { return policy::compile_policy({}); }

// What one reader thread saw.
struct ReaderLog {
  std::size_t reads = 0;
  std::size_t torn = 0;       // generation and sha256 of one snapshot disagree
  std::size_t went_back = 0;  // a generation older than the one read before
  std::uint64_t last_seen = 0;
};

ReaderLog read_until(const PolicyStore& store, std::uint64_t final_generation) {
  ReaderLog log;
  // Bounded: the writer installs final_generation within its own loop; the
  // bound only stops a broken store from hanging the test.
  for (std::size_t i = 0; i < 50'000'000 && log.last_seen < final_generation; ++i) {
    const auto snapshot = store.current();
    ++log.reads;
    if (snapshot->sha256 != std::to_string(snapshot->generation)) ++log.torn;
    if (snapshot->generation < log.last_seen) ++log.went_back;
    log.last_seen = snapshot->generation;
  }
  return log;
}

TEST_CASE("policy store: readers on other threads see whole snapshots, never an older one") {
  PolicyStore store;
  REQUIRE(store.install(empty_policy(), "1") == 1);
  constexpr std::uint64_t kInstalls = 2'000;

  std::vector<ReaderLog> logs(3);
  std::vector<std::thread> readers;
  for (auto& log : logs) {
    readers.emplace_back([&store, &log] { log = read_until(store, kInstalls); });
  }
  for (std::uint64_t next = 2; next <= kInstalls; ++next) {
    REQUIRE(store.install(empty_policy(), std::to_string(next)) == next);
  }
  for (auto& reader : readers) reader.join();

  for (const auto& log : logs) {
    CHECK(log.reads > 0);
    CHECK(log.torn == 0);
    CHECK(log.went_back == 0);
    CHECK(log.last_seen == kInstalls);
  }
  CHECK(store.current()->generation == kInstalls);
}

}  // namespace
}  // namespace firewarden::proxy
