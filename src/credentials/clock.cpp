#include "firewarden/credentials/clock.hpp"

#include <algorithm>

#include "firewarden/net/asio.hpp"

namespace firewarden::credentials {
namespace {

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }

  net::awaitable<boost::system::error_code> sleep_until(time_point when) override {
    net::steady_timer timer(co_await net::this_coro::executor);
    // Sleep on the steady clock and re-check the wall clock on waking: a wall
    // clock that was set back must not make us wake early.
    for (auto remaining = when - now(); remaining > duration::zero(); remaining = when - now()) {
      timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::min<duration>(remaining, std::chrono::hours(1))));
      auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
      if (ec) co_return ec;
    }
    co_return boost::system::error_code{};
  }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

Clock::time_point ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

net::awaitable<boost::system::error_code> ManualClock::sleep_until(time_point when) {
  auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor,
                                                   net::steady_timer::time_point::max());
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (now_ >= when) co_return boost::system::error_code{};
      sleepers_.push_back({when, timer});
    }
    auto [ec] = co_await timer->async_wait(net::as_tuple(net::use_awaitable));
    if (now() >= when) co_return boost::system::error_code{};
    // Not our time yet: the wait was cancelled from outside, or the clock
    // was set back after the wake-up was posted.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) co_return net::error::operation_aborted;
    if (ec && ec != net::error::operation_aborted) co_return ec;
  }
}

void ManualClock::advance(duration by) {
  {
    std::lock_guard lock(mutex_);
    now_ += by;
  }
  wake_due();
}

void ManualClock::set(time_point when) {
  {
    std::lock_guard lock(mutex_);
    now_ = when;
  }
  wake_due();
}

std::size_t ManualClock::sleepers() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      sleepers_.begin(), sleepers_.end(), [](const Sleeper& s) { return !s.timer.expired(); }));
}

void ManualClock::wake_due() {
  std::vector<std::shared_ptr<net::steady_timer>> due;
  {
    std::lock_guard lock(mutex_);
    for (auto it = sleepers_.begin(); it != sleepers_.end();) {
      auto timer = it->timer.lock();
      if (timer && it->when > now_) {
        ++it;
        continue;
      }
      if (timer) due.push_back(std::move(timer));
      it = sleepers_.erase(it);
    }
  }
  // A timer is touched only on its own executor.
  for (auto& timer : due) {
    net::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
}

}  // namespace firewarden::credentials
