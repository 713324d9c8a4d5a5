#include "fault_upstream.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace firewarden::testing {

using namespace std::chrono_literals;

int connect_loopback(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string receive_for(int fd, std::size_t enough, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[16384];
  while (out.size() < enough && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

FaultUpstream::FaultUpstream() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("scripted upstream: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultUpstream::~FaultUpstream() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);  // unblocks sends
  }
  for (auto& thread : connections_) thread.join();
  ::close(listener_);
}

std::string FaultUpstream::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FaultUpstream::accept_loop() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    std::lock_guard lock(mutex_);
    open_.insert(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

bool FaultUpstream::read_request(int fd, std::string& pending) {
  char buffer[8192];
  std::size_t head_end = std::string::npos;
  std::size_t needed = 0;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = pending.substr(0, head_end);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto at = head.find("content-length:");
        const std::size_t body = at == std::string::npos ? 0 : std::stoul(head.substr(at + 15));
        needed = head_end + 4 + body;
      }
    }
    if (head_end != std::string::npos && pending.size() >= needed) {
      pending.erase(0, needed);
      return true;
    }
    if (stop_) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending.append(buffer, static_cast<std::size_t>(n));
  }
}

void FaultUpstream::serve(int fd) {
  std::string pending;
  while (read_request(fd, pending)) {
    ++requests_;
    const Mode mode = mode_;
    if (mode == Mode::answer) {
      static const std::string body = R"({"name":"scripted"})";
      if (!send_all(fd,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                    "Content-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body)) {
        break;
      }
      continue;
    }
    if (mode == Mode::die_mid_body) {
      send_all(fd,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Content-Length: 100000\r\n\r\n[" +
                   std::string(999, ' '));
      break;
    }
    if (mode == Mode::silent) {
      while (!stop_) std::this_thread::sleep_for(20ms);
      break;
    }
    if (!send_all(fd,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  "Content-Length: 1073741824\r\n\r\n")) {
      break;
    }
    const std::string chunk(65536, ' ');
    bool sent = true;
    while (sent && !stop_) sent = send_all(fd, chunk);
    if (!sent && !stop_) ++abandoned_;
    break;
  }
  std::lock_guard lock(mutex_);
  open_.erase(fd);
  ::close(fd);
}

}  // namespace firewarden::testing
