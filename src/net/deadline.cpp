#include "firewarden/net/deadline.hpp"

#include <utility>

namespace firewarden::transport {

using Clock = Deadline::Clock;

struct Deadline::State {
  State(const net::any_io_executor& executor, std::function<void()> action)
      : timer(executor), on_expiry(std::move(action)) {}
  net::steady_timer timer;
  std::function<void()> on_expiry;  // emptied by the owner's destructor
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_for = Clock::time_point::max();  // the timer's expiry while armed
  std::uint64_t generation = 0;  // of the timer's latest wait; older handlers do nothing
  bool armed = false;
  bool expired = false;
};

Deadline::Deadline(const net::any_io_executor& executor, std::function<void()> on_expiry)
    : state_(std::make_shared<State>(executor, std::move(on_expiry))) {}

Deadline::~Deadline() {
  // The handler holds the state until it has run; after this the guarded
  // object may be gone, so the action must not run any more.
  state_->on_expiry = nullptr;
  state_->timer.cancel();
}

void Deadline::arm(const std::shared_ptr<State>& state) {
  state->armed = true;
  state->armed_for = state->deadline;
  const std::uint64_t generation = ++state->generation;
  state->timer.expires_at(state->deadline);
  state->timer.async_wait([state, generation](const boost::system::error_code& error) {
    if (generation != state->generation) return;  // re-armed since
    state->armed = false;
    if (error || !state->on_expiry || state->deadline == Clock::time_point::max()) return;
    if (Clock::now() < state->deadline) {
      arm(state);  // the deadline moved out since this wait began
      return;
    }
    state->expired = true;
    state->on_expiry();
  });
}

void Deadline::expires_after(Clock::duration timeout) { expires_at(Clock::now() + timeout); }

void Deadline::expires_at(Clock::time_point deadline) {
  state_->expired = false;
  state_->deadline = deadline;
  if (!state_->armed || deadline < state_->armed_for) arm(state_);
}

void Deadline::expires_never() { state_->deadline = Clock::time_point::max(); }

bool Deadline::expired() const { return state_->expired; }

void Deadline::cancel() { state_->timer.cancel(); }

OperationDeadline::OperationDeadline(const net::any_io_executor& executor,
                                     std::chrono::milliseconds timeout,
                                     net::ip::tcp::socket& socket)
    : deadline_(executor,
                [&socket] {
                  boost::system::error_code ignored;
                  socket.close(ignored);
                }),
      timeout_(timeout) {}

}  // namespace firewarden::transport
