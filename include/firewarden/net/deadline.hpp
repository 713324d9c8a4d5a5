#pragma once
// The one deadline primitive of the I/O modules: a deadline for the
// operation running on one object (a socket, a resolver), with an action
// that ends that operation when the deadline passes (cancel or close it).
//
// One lazily re-armed timer serves a whole series of operations: it is armed
// once for a deadline and not moved when a later expires_after pushes the
// deadline out (the common case: one call per read and per write); when it
// fires early it re-arms for what is left. A busy connection so costs one
// timer wake-up per timeout period, not one timer operation per read and
// write (bench mix (c): a 1 MB relay in 64 reads).
//
// Every member is called on the executor given at construction (the
// connection's strand), which is also where the expiry action runs: the
// action never races with the operation it ends.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "firewarden/net/asio.hpp"

namespace firewarden::transport {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expiry` runs when a deadline passes; never after the destructor.
  Deadline(const net::any_io_executor& executor, std::function<void()> on_expiry);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // A deadline for the operations that follow; clears expired().
  void expires_after(Clock::duration timeout);
  void expires_at(Clock::time_point deadline);
  // No deadline until the next expires_*: the operation finished in time.
  // expired() keeps its answer, so the caller can still ask what ended it.
  void expires_never();
  // Whether the action ran for the current deadline.
  bool expired() const;
  // Releases the timer at once (e.g. when the guarded socket is closed), so
  // that no wait outlives the connection; a later expires_* arms it again.
  void cancel();

 private:
  struct State;  // the timer and the action, shared with the timer's handler
  static void arm(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

// A Deadline with one timeout for every operation of a series on one socket
// (writing a request, reading its response head, each read of a streamed
// body): start() before an operation, stop() after it; an operation still
// running `timeout` after its start() has its socket closed.
class OperationDeadline {
 public:
  OperationDeadline(const net::any_io_executor& executor, std::chrono::milliseconds timeout,
                    net::ip::tcp::socket& socket);

  void start() { deadline_.expires_after(timeout_); }
  void stop() { deadline_.expires_never(); }
  bool fired() const { return deadline_.expired(); }

 private:
  Deadline deadline_;
  std::chrono::milliseconds timeout_;
};

}  // namespace firewarden::transport
