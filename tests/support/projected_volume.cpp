#include "projected_volume.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace firewarden::testing {

namespace fs = std::filesystem;

ProjectedVolume::ProjectedVolume(std::string directory) : directory_(std::move(directory)) {
  fs::create_directories(directory_);
}

void ProjectedVolume::publish(const std::map<std::string, std::string>& files) {
  // kubelet names versions ..YYYY_MM_DD_HH_MM_SS.<random>.
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &utc);
  const std::string version = stamp + std::to_string(++version_);
  const fs::path root(directory_);
  fs::create_directory(root / version);
  for (const auto& [name, content] : files) {
    std::ofstream out(root / version / name, std::ios::binary);
    out << content;
    if (!out.flush()) throw std::runtime_error("cannot write " + (root / version / name).string());
  }
  // New ..data_tmp -> version, renamed over ..data: one atomic step.
  fs::remove(root / "..data_tmp");
  fs::create_directory_symlink(version, root / "..data_tmp");
  if (std::rename((root / "..data_tmp").c_str(), (root / "..data").c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "rename ..data_tmp");
  }
  for (const auto& [name, content] : files) {
    if (!fs::is_symlink(root / name)) fs::create_symlink(fs::path("..data") / name, root / name);
  }
  if (!current_.empty()) fs::remove_all(root / current_);
  current_ = version;
}

std::string ProjectedVolume::path(const std::string& name) const {
  return (fs::path(directory_) / name).string();
}

}  // namespace firewarden::testing
