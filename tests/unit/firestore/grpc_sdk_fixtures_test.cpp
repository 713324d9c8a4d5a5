// tests/fixtures/grpc-sdk: request messages exactly as the Node, Go, Python
// and Java SDKs sent them over gRPC. Each must be read (no SDK message is
// refused as unreadable) and require what its operation touches: the
// capture's `orders` documents (a collection group query: every `items`
// collection), or nothing for transaction bookkeeping.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "firewarden/firestore/grpc_classify.hpp"

using namespace firewarden::firestore;

namespace {

const std::filesystem::path kDir =
    std::filesystem::path(FIREWARDEN_SOURCE_DIR) / "tests" / "fixtures" / "grpc-sdk";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE(
    "grpc sdk fixtures: every message an SDK sent is read, and requires only what it touches") {
  const Scope scope{"fixture-project", {"(default)"}};
  const auto index = nlohmann::json::parse(read_file(kDir / "index.json"));
  REQUIRE(index.size() > 20);
  std::set<std::string> sdks;
  for (const auto& entry : index) {
    const std::string file = entry.at("file");
    const std::string path = entry.at("method");
    INFO(file << " (" << entry.at("operation").get<std::string>() << ")");
    sdks.insert(entry.at("sdk").get<std::string>());
    const std::string message = read_file(kDir / file);
    const auto result = classify_grpc({path, message, {}}, scope);
    const auto* model = std::get_if<RequestModel>(&result);
    if (model == nullptr) FAIL(std::get<ApiError>(result).message);
    const std::string rpc = path.substr(path.rfind('/') + 1);
    CHECK(model->method == rpc);
    if (rpc == "BeginTransaction" || rpc == "Rollback") CHECK(model->requirements.empty());
    for (const auto& requirement : model->requirements) {
      const std::string collection = requirement.collection.to_string();
      CAPTURE(collection);
      if (requirement.action == Action::list_collections) {
        CHECK(collection.ends_with("*"));
      } else if (entry.at("operation") == "collectionGroup") {
        CHECK(collection == "**/items");  // every `items` collection at any depth
      } else {
        CHECK(collection.starts_with("orders"));
      }
    }
  }
  CHECK(sdks == std::set<std::string>{"go", "java", "node", "python"});
}
