#pragma once
// The broker's notion of time, injectable so refresh timing can be tested
// without waiting: now() for expiry arithmetic (wall clock, since Google
// states expiry as wall-clock time) and sleep_until() for scheduling
// refreshes and retries.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace firewarden::credentials {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  using duration = std::chrono::system_clock::duration;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Completes once now() >= when, on the calling coroutine's executor.
  // Per-operation cancellation ends it early with operation_aborted.
  virtual boost::asio::awaitable<boost::system::error_code> sleep_until(time_point when) = 0;
};

// The real clock (system_clock for now(), steady timers for sleeping).
std::shared_ptr<Clock> system_clock();

// A clock that moves only when told to. Sleepers wake when advance() or set()
// reaches their time; the wake-up is posted to each sleeper's executor, so
// run the io_context after moving the clock.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = std::chrono::system_clock::now()) : now_(start) {}

  time_point now() const override;
  boost::asio::awaitable<boost::system::error_code> sleep_until(time_point when) override;

  void advance(duration by);
  void set(time_point when);
  // How many coroutines are sleeping on this clock right now.
  std::size_t sleepers() const;

 private:
  struct Sleeper {
    time_point when;
    std::weak_ptr<boost::asio::steady_timer> timer;
  };
  void wake_due();

  mutable std::mutex mutex_;
  time_point now_;
  std::vector<Sleeper> sleepers_;
};

}  // namespace firewarden::credentials
