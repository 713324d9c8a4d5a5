// libFuzzer target: the gRPC request classifier and its framing (SPEC §12).
//
// Input: one byte choosing the RPC, one byte choosing where the framed
// message is split into two DATA chunks, then the request message. Beyond
// "no crash, no UB", it checks what the proxy relies on:
// - refusals are 400, 403 or 501 with a bounded message;
// - an accepted message is forwarded byte for byte, in the served project,
//   and every literal in a requirement is a valid Firestore ID;
// - classifying the same bytes again decides the same (no hidden state);
// - the framing reader returns the message whole however it is split.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/firestore/path.hpp"

namespace {

using namespace firewarden::firestore;

void require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::array<std::string_view, 17> kRpcs = {"GetDocument",
                                                    "ListDocuments",
                                                    "CreateDocument",
                                                    "UpdateDocument",
                                                    "DeleteDocument",
                                                    "BatchGetDocuments",
                                                    "BeginTransaction",
                                                    "Commit",
                                                    "Rollback",
                                                    "RunQuery",
                                                    "RunAggregationQuery",
                                                    "PartitionQuery",
                                                    "Listen",
                                                    "Write",
                                                    "ListCollectionIds",
                                                    "BatchWrite",
                                                    "ExecutePipeline"};

void check_framing(std::string_view message, std::size_t split_at) {
  const std::string framed = grpc_frame(message);
  split_at %= framed.size() + 1;
  GrpcMessageReader reader(message.size());
  std::string out;
  reader.feed(std::string_view(framed).substr(0, split_at));
  GrpcMessageReader::Status status = reader.next(out);
  if (status == GrpcMessageReader::Status::need_more) {
    reader.feed(std::string_view(framed).substr(split_at));
    status = reader.next(out);
  }
  require(status == GrpcMessageReader::Status::message);
  require(out == message);
  require(reader.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scope scope{"p", {"(default)", "db2"}};
  if (size < 2) return 0;
  const std::string_view rpc = kRpcs[data[0] % kRpcs.size()];
  const std::size_t split_at = data[1];
  const std::string_view message(reinterpret_cast<const char*>(data) + 2, size - 2);
  check_framing(message, split_at);

  const std::string path = "/google.firestore.v1.Firestore/" + std::string(rpc);
  const GrpcRequest request{path, message, {}};
  const ClassifyResult result = classify_grpc(request, scope);
  const ClassifyResult again = classify_grpc(request, scope);
  if (const auto* error = std::get_if<ApiError>(&result)) {
    require(error->http_status == 400 || error->http_status == 403 || error->http_status == 501);
    require(!error->message.empty() && error->message.size() < 4096);
    const auto* error_again = std::get_if<ApiError>(&again);
    require(error_again != nullptr && error_again->message == error->message);
    return 0;
  }
  const auto& model = std::get<RequestModel>(result);
  require(model.method == rpc);
  require(model.upstream_body == message);
  require(model.project == scope.project);
  for (const Requirement& requirement : model.requirements) {
    for (const Segment& segment : requirement.collection.segments) {
      if (segment.kind == Segment::Kind::literal) require(!check_id(segment.text));
    }
  }
  const auto* model_again = std::get_if<RequestModel>(&again);
  require(model_again != nullptr && model_again->requirements == model.requirements &&
          model_again->documents == model.documents);
  return 0;
}
