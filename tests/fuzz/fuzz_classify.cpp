// libFuzzer target: the REST request classifier (SPEC §5).
//
// Input: "METHOD\nTARGET\nCONTENT-TYPE\nBODY" (missing parts are empty; an
// empty CONTENT-TYPE line sends no Content-Type header). Beyond "no crash, no
// UB", it checks what the proxy relies on:
// - refusals are 400, 403 or 501 with a bounded message;
// - an accepted request forwards its body unchanged, and its canonical target
//   classifies again to the very same model (canonicalization is stable and
//   does not change what was authorized);
// - every literal in a requirement is a valid Firestore ID.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "firewarden/firestore/classify.hpp"
#include "firewarden/firestore/path.hpp"

namespace {

using firewarden::firestore::ApiError;
using firewarden::firestore::check_id;
using firewarden::firestore::classify;
using firewarden::firestore::ClassifyResult;
using firewarden::firestore::HttpRequest;
using firewarden::firestore::RequestModel;
using firewarden::firestore::Requirement;
using firewarden::firestore::Scope;
using firewarden::firestore::Segment;

void require(bool condition) {
  if (!condition) std::abort();
}

std::string_view next_line(std::string_view& input) {
  const std::size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  return line;
}

HttpRequest make_request(std::string_view method, std::string_view target,
                         std::string_view content_type, std::string_view body) {
  HttpRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  return request;
}

void check_model(const RequestModel& model, const HttpRequest& request, const Scope& scope) {
  require(model.upstream_body == request.body);
  require(model.project == scope.project);
  for (const Requirement& requirement : model.requirements) {
    for (const Segment& segment : requirement.collection.segments) {
      if (segment.kind == Segment::Kind::literal) require(!check_id(segment.text));
    }
  }
  HttpRequest again = request;
  again.target = model.upstream_target;
  const ClassifyResult second = classify(again, scope);
  const auto* model_again = std::get_if<RequestModel>(&second);
  require(model_again != nullptr);
  require(model_again->method == model.method);
  require(model_again->database == model.database);
  require(model_again->requirements == model.requirements);
  require(model_again->upstream_target == model.upstream_target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scope scope{"p", {"(default)", "db2"}};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view method = next_line(input);
  const std::string_view target = next_line(input);
  const std::string_view content_type = next_line(input);
  const HttpRequest request = make_request(method, target, content_type, input);

  const ClassifyResult result = classify(request, scope);
  if (const auto* error = std::get_if<ApiError>(&result)) {
    require(error->http_status == 400 || error->http_status == 403 || error->http_status == 501);
    require(!error->message.empty() && error->message.size() < 2048);
    return 0;
  }
  check_model(std::get<RequestModel>(result), request, scope);
  return 0;
}
