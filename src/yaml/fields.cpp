#include "firewarden/yaml/fields.hpp"

namespace firewarden::yaml {

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

Fields::Fields(std::string file, EnvLookup env, std::filesystem::path base)
    : reader_(std::move(file), std::move(env)), base_(std::move(base)) {}

YAML::Node Fields::take(MapView& map, std::string_view key) {
  YAML::Node node = map.take(key);
  if (node.IsDefined()) {
    const std::string path = map.path_of(key);
    nodes_.emplace(path, node);
    positions_.emplace(path, reader_.position(node));
  }
  return node;
}

MapView Fields::open(const YAML::Node& node, const std::string& path) {
  if (node.IsDefined() && !node.IsNull() && !node.IsMap()) failed_.insert(path);
  return {reader_, node, path};
}

MapView Fields::section(MapView& parent, std::string_view key) {
  const YAML::Node node = take(parent, key);
  return open(node, parent.path_of(key));
}

bool Fields::failed(std::string_view path) const {
  for (std::size_t end = 0; end != std::string_view::npos;) {
    end = path.find_first_of(".[", end + 1);
    if (failed_.find(path.substr(0, end)) != failed_.end()) return true;
  }
  return false;
}

void Fields::forget(const std::string& path) {
  nodes_.erase(path);
  positions_.erase(path);
}

void Fields::invalid(const std::string& path, const YAML::Node& node, const std::string& message) {
  reader_.error(node, path + ": " + message);
  failed_.insert(path);
}

void Fields::error_at(std::initializer_list<std::string_view> paths, const std::string& message) {
  for (std::string_view path : paths) {
    if (path.empty()) break;
    if (auto it = nodes_.find(path); it != nodes_.end()) {
      reader_.error(it->second, message);
      return;
    }
  }
  if (root_.IsDefined() && root_.IsMap()) {
    reader_.error(root_, message);
  } else {
    reader_.error(YAML::Mark(), message);  // an empty document: 1:1
  }
}

std::optional<std::string> Fields::string_field(MapView& map, std::string_view key) {
  return read_scalar(map, key, [this](const YAML::Node& node, const std::string& path) {
    return reader_.string(node, path);
  });
}

void Fields::file_field(MapView& map, std::string_view parent, std::string_view key,
                        std::string& out, bool required) {
  const std::string path = map.path_of(key);
  auto value = string_field(map, key);
  if (failed(path)) return;
  if (!value) {
    if (required && out.empty()) {
      error_at({parent, ""}, path + ": required");
      failed_.insert(path);
    }
    return;
  }
  if (value->empty()) {
    if (required) {
      invalid(path, nodes_.at(path), "must not be empty");
    } else {
      forget(path);  // "" = not set
      out.clear();
    }
    return;
  }
  if (value->find('\0') != std::string::npos) {
    invalid(path, nodes_.at(path), "file path contains a NUL byte");
    return;
  }
  out = (base_ / *value).lexically_normal().string();
}

void Fields::bool_field(MapView& map, std::string_view key, bool& out) {
  auto value = read_scalar(map, key, [this](const YAML::Node& node, const std::string& path) {
    return reader_.boolean(node, path);
  });
  if (value) out = *value;
}

void Fields::duration_field(MapView& map, std::string_view key, std::chrono::milliseconds& out,
                            Range<std::chrono::milliseconds> range) {
  ranged_field(
      map, key, out, range,
      [this](const YAML::Node& node, const std::string& path) {
        return reader_.duration(node, path);
      },
      format_duration);
}

void Fields::byte_size_field(MapView& map, std::string_view key, std::uint64_t& out,
                             Range<std::uint64_t> range) {
  ranged_field(
      map, key, out, range,
      [this](const YAML::Node& node, const std::string& path) {
        return reader_.byte_size(node, path);
      },
      format_byte_size);
}

}  // namespace firewarden::yaml
