#pragma once
// A child process the test started and stops, by PID only.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace firewarden::testing {

class ChildProcess {
 public:
  // Starts `args[0]` with `args`; stdout and stderr go to the given files.
  // The child gets this process's environment with `environment` set on top
  // (a name given there replaces the inherited value).
  ChildProcess(const std::vector<std::string>& args, const std::string& stdout_path,
               const std::string& stderr_path,
               const std::vector<std::pair<std::string, std::string>>& environment = {},
               const std::string& stdin_path = "/dev/null");
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signal_number);
  // The exit code (128 + signal when killed), or nullopt if still running
  // after `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A loopback TCP port that was free a moment ago, from below the kernel's
// ephemeral range so that no bind(0) elsewhere can take it meanwhile.
unsigned short free_port();

// Polls `predicate` every 20 ms until it is true or `timeout` passes.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout);

}  // namespace firewarden::testing

#include <thread>

template <typename Predicate>
bool firewarden::testing::eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}
