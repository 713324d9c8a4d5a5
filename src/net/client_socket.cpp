#include "firewarden/net/client_socket.hpp"

namespace firewarden::transport {

using Clock = std::chrono::steady_clock;

struct ClientSocket::Core {
  explicit Core(net::ip::tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  net::ip::tcp::socket socket;
  net::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_for = Clock::time_point::max();  // the timer's expiry while armed
  std::uint64_t generation = 0;  // of the timer's latest wait; older handlers do nothing
  bool armed = false;
  bool expired = false;
};

ClientSocket::ClientSocket(net::ip::tcp::socket socket)
    : core_(std::make_shared<Core>(std::move(socket))) {
  boost::system::error_code ignored;
  core_->socket.non_blocking(true, ignored);
}

ClientSocket::~ClientSocket() { close(); }

// The timer is armed once for a deadline and not moved when a later
// expires_after pushes the deadline out (the common case: one call per read
// and per write). When it fires early it re-arms for what is left, so a busy
// connection costs one timer wake-up per timeout period, not one timer
// operation per read and write.
void ClientSocket::arm(const std::shared_ptr<Core>& core) {
  core->armed = true;
  core->armed_for = core->deadline;
  const std::uint64_t generation = ++core->generation;
  core->timer.expires_at(core->deadline);
  core->timer.async_wait([core, generation](const boost::system::error_code& error) {
    if (generation != core->generation) return;  // re-armed since
    core->armed = false;
    if (error || core->deadline == Clock::time_point::max()) return;
    if (Clock::now() < core->deadline) {
      arm(core);  // the deadline moved out since this wait began
      return;
    }
    core->expired = true;
    boost::system::error_code ignored;
    core->socket.cancel(ignored);
  });
}

void ClientSocket::expires_after(Clock::duration timeout) {
  core_->expired = false;
  core_->deadline = Clock::now() + timeout;
  if (!core_->armed || core_->deadline < core_->armed_for) arm(core_);
}

void ClientSocket::expires_never() {
  core_->expired = false;
  core_->deadline = Clock::time_point::max();
}

bool ClientSocket::expired() const { return core_->expired; }

void ClientSocket::cancel() {
  boost::system::error_code ignored;
  core_->socket.cancel(ignored);
}

void ClientSocket::close() {
  boost::system::error_code ignored;
  core_->socket.close(ignored);
  core_->timer.cancel();
}

net::ip::tcp::socket& ClientSocket::socket() { return core_->socket; }

ClientSocket::executor_type ClientSocket::get_executor() { return core_->socket.get_executor(); }

boost::system::error_code ClientSocket::wait_error(const boost::system::error_code& error) const {
  if (core_->expired) return beast::error::timeout;
  return error;
}

boost::system::error_code ClientSocket::attempt_refusal() const {
  if (core_->expired) return beast::error::timeout;
  if (!core_->socket.is_open()) return net::error::bad_descriptor;
  return {};
}

}  // namespace firewarden::transport
