// tests/fixtures/grpc/*.textproto: request messages in protobuf text format,
// encoded by libprotobuf, must get the outcome their `# expect:` line names.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "../classify_support.hpp"
#include "firewarden/firestore/grpc_classify.hpp"
#include "google/firestore/v1/firestore.pb.h"

namespace firewarden::firestore {
namespace {

namespace gp = google::protobuf;

// The value of header line `# key: value`, or empty.
std::string header(const std::string& text, const std::string& key) {
  const std::string prefix = "# " + key + ": ";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return line.substr(prefix.size());
  }
  return {};
}

TEST_CASE("the gRPC text fixtures classify as their expect lines say") {
  // The generated descriptors register when their code is linked in.
  (void)google::firestore::v1::GetDocumentRequest::default_instance();
  const std::filesystem::path dir =
      std::filesystem::path(FIREWARDEN_SOURCE_DIR) / "tests" / "fixtures" / "grpc";
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".textproto") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string rpc = header(text, "rpc");
    const std::string expected = header(text, "expect");
    INFO(entry.path().filename().string());
    REQUIRE_FALSE(rpc.empty());
    REQUIRE_FALSE(expected.empty());

    const gp::Descriptor* type = gp::DescriptorPool::generated_pool()->FindMessageTypeByName(
        "google.firestore.v1." + rpc + "Request");
    REQUIRE(type != nullptr);
    std::unique_ptr<gp::Message> message(
        gp::MessageFactory::generated_factory()->GetPrototype(type)->New());
    REQUIRE(gp::TextFormat::ParseFromString(text, message.get()));
    const std::string bytes = message->SerializeAsString();

    const std::string path = "/google.firestore.v1.Firestore/" + rpc;
    const std::string got =
        testing::outcome(classify_grpc(GrpcRequest{path, bytes, {}}, testing::kScope));
    INFO(got);
    if (expected.starts_with("ok")) {
      CHECK(got == expected);
    } else {
      CHECK(got.starts_with(expected));
    }
    ++checked;
  }
  CHECK(checked >= 10);
}

}  // namespace
}  // namespace firewarden::firestore
