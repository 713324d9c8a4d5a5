#pragma once
// Raw loopback sockets and an upstream whose behaviour a test scripts: for
// faults (an upstream that dies mid-body, never answers, or streams without
// end) and for load (a fast fixed answer), where RecordingUpstream, which
// keeps every request, does not fit.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace firewarden::testing {

// A blocking TCP connection to 127.0.0.1:port (throws on failure).
int connect_loopback(unsigned short port);
// Sends everything (MSG_NOSIGNAL); false when the peer is gone.
bool send_all(int fd, const std::string& bytes);
// Reads until `enough` bytes arrived, the peer closed, or `timeout` passed.
std::string receive_for(int fd, std::size_t enough, std::chrono::milliseconds timeout);

// Plain HTTP/1.1 on 127.0.0.1, one thread per connection. Every wait polls
// in 50 ms steps and ends with the object.
class FaultUpstream {
 public:
  enum class Mode {
    answer,        // 200 with {"name":"scripted"}, keep-alive
    die_mid_body,  // a 100000-byte body announced, 1000 bytes sent, then closed
    silent,        // reads the request, never answers
    endless_body,  // a 1 GiB body, sent until the reader goes away
  };

  FaultUpstream();
  ~FaultUpstream();
  FaultUpstream(const FaultUpstream&) = delete;
  FaultUpstream& operator=(const FaultUpstream&) = delete;

  void set_mode(Mode mode) { mode_ = mode; }
  unsigned short port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT
  int requests() const { return requests_; }
  int accepted() const { return accepted_; }
  // endless_body connections that ended because the reader closed them.
  int abandoned_by_reader() const { return abandoned_; }

 private:
  void accept_loop();
  bool read_request(int fd, std::string& pending);
  void serve(int fd);

  int listener_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::answer};
  std::atomic<int> requests_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> abandoned_{0};
  std::mutex mutex_;
  std::set<int> open_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace firewarden::testing
