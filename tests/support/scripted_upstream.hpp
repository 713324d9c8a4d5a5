#pragma once
// A plain-HTTP upstream whose behaviour the request path chooses, for tests
// of slow and failing upstreams (drain, error metrics):
//   a path containing "/held/"  is answered 200 only once release() is
//                               called (or after 30 s);
//   a path containing "/broken/" gets the connection closed without answer;
//   anything else               is answered 200 at once.
// 200 bodies are a minimal Firestore document for the request's path.
#include <atomic>
#include <memory>
#include <string>

namespace firewarden::testing {

class ScriptedUpstream {
 public:
  ScriptedUpstream();
  ~ScriptedUpstream();
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT
  // Requests read so far, and how many of them are being held.
  int received() const;
  int held() const;
  // Answers every held request (and those that arrive later) now.
  void release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firewarden::testing
