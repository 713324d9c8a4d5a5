#include "run_binary.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "process.hpp"

namespace firewarden::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

CommandResult run_firewarden(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env,
                             const std::string& stdin_text) {
  TempDir io;
  const std::string in_path = io.write("stdin", stdin_text);
  const std::string out_path = io.path() + "/stdout";
  const std::string err_path = io.path() + "/stderr";

  std::vector<std::string> argv{FIREWARDEN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::pair<std::string, std::string>> environment;
  for (const std::string& entry : extra_env) {
    const std::size_t equals = entry.find('=');
    environment.emplace_back(entry.substr(0, equals),
                             equals == std::string::npos ? "" : entry.substr(equals + 1));
  }
  CommandResult result;
  {
    ChildProcess child(argv, out_path, err_path, environment, in_path);
    // A CLI command that runs this long is hung; the child is killed on scope exit.
    result.exit_code = child.wait_for_exit(std::chrono::seconds(60)).value_or(-1);
  }
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "firewarden-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string path = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace firewarden::testing
