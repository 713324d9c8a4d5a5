#include "process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace firewarden::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& stdout_path,
                           const std::string& stderr_path,
                           const std::vector<std::pair<std::string, std::string>>& environment,
                           const std::string& stdin_path) {
  std::vector<std::string> copies = args;
  std::vector<char*> argv;
  for (auto& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Built before fork: between fork and exec only async-signal-safe calls.
  std::set<std::string> replaced;
  std::vector<std::string> variables;
  for (const auto& [name, value] : environment) {
    replaced.insert(name);
    variables.push_back(name);
    variables.back().append("=").append(value);
  }
  for (char** entry = environ; *entry != nullptr; ++entry) {  // <unistd.h> with _GNU_SOURCE
    const std::string variable(*entry);
    if (replaced.count(variable.substr(0, variable.find('='))) == 0) variables.push_back(variable);
  }
  std::vector<char*> envp;
  envp.reserve(variables.size() + 1);
  for (auto& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int in = open(stdin_path.c_str(), O_RDONLY);
    const int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_for_exit(std::chrono::seconds(5));
  }
}

bool ChildProcess::running() { return !wait_for_exit(std::chrono::milliseconds(0)); }

void ChildProcess::signal(int signal_number) {
  if (!exit_code_) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

namespace {

// The lowest port of the kernel's ephemeral range (what bind(0) hands out).
int ephemeral_range_start() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  if (!(range >> low) || low < 4096) return 32768;
  return low;
}

bool bindable(unsigned short port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

}  // namespace

// Picked below the ephemeral range, never with bind(0): a port found by bind(0)
// is ephemeral, so until the child binds it the kernel may give it to any
// socket bound to port 0 in a test running in parallel (a recording upstream,
// say). Requests meant for one test's firewarden then reached another test's
// upstream, and a security test saw "upstream reached" that was not.
// A port is handed out once per test process: two calls before either
// port is bound (a listener and its admin address) would otherwise get the
// same one about once in ten thousand, and firewarden refuses that config.
unsigned short free_port() {
  static std::mutex mutex;
  static std::set<unsigned short> handed_out;
  const int high = ephemeral_range_start();
  const int low = std::max(1024, high - 12000);
  std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::uniform_int_distribution<int> pick(low, high - 1);
  std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<unsigned short>(pick(random));
    if (!handed_out.contains(port) && bindable(port)) {
      handed_out.insert(port);
      return port;
    }
  }
  throw std::runtime_error("cannot find a free port below the ephemeral range");
}

}  // namespace firewarden::testing
