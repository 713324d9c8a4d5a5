#pragma once
// A stand-in upstream that records every request it receives and answers
// with a fixed response. Only for assertions on what crosses the proxy
// (header hygiene); data-path behaviour is tested against the emulator.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace firewarden::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::multimap<std::string, std::string> headers;  // lowercase names
  std::string body;
};

class RecordingUpstream {
 public:
  explicit RecordingUpstream(int status = 200, std::string body = "{}");
  ~RecordingUpstream();
  RecordingUpstream(const RecordingUpstream&) = delete;
  RecordingUpstream& operator=(const RecordingUpstream&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

}  // namespace firewarden::testing
