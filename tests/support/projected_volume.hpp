#pragma once
// A directory laid out exactly like a Kubernetes ConfigMap/Secret volume,
// updated the way kubelet's AtomicWriter does it:
//   DIR/NAME        -> ..data/NAME            (created once)
//   DIR/..data      -> ..2026_11_26_12_00_00.N (replaced by rename(2))
//   DIR/..2026_…    the files of one version; the old one removed after
// so a reader following DIR/NAME sees either the whole old or the whole new
// set, and the file it watches (a symlink) never changes itself.
#include <map>
#include <string>

namespace firewarden::testing {

class ProjectedVolume {
 public:
  explicit ProjectedVolume(std::string directory);
  // Publishes a complete new set of files atomically.
  void publish(const std::map<std::string, std::string>& files);
  // DIR/NAME: the path a pod (and firewarden's config) names.
  std::string path(const std::string& name) const;

 private:
  std::string directory_;
  std::string current_;  // the timestamped directory ..data points to
  int version_ = 0;
};

}  // namespace firewarden::testing
