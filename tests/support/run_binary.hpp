#pragma once
// Runs the built firewarden binary with arguments and captures exit code,
// stdout and stderr (CLI tests assert on all three).
#include <string>
#include <vector>

namespace firewarden::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Arguments are passed without a shell (fork/execve), so no quoting games.
// `stdin_text` is written to the child's standard input.
CommandResult run_firewarden(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env = {},
                             const std::string& stdin_text = "");

// A fresh temporary directory removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace firewarden::testing
