// libFuzzer target: the full HTTP request path of the data plane, without
// sockets: raw bytes -> Beast's request parser with the proxy's limits
// (one fresh parser per message, pipelined messages read in turn, as
// net/server.cpp does) -> the origin-form check -> firestore::classify ->
// policy decide for two callers (as proxy/firestore_proxy.cpp does).
//
// Input: the bytes a client sends on one connection. Beyond "no crash, no
// UB", it checks what authorization relies on:
// - no message body beyond max_body_bytes is ever accepted;
// - an accepted request forwards exactly the body that was read;
// - one verdict per requirement, allowed exactly when every verdict is;
// - deny wins: nothing that could touch `secrets/**` is ever allowed, even
//   to the caller allowed everything else (wildcards from kindless and
//   allDescendants queries included);
// - the read-only caller is never allowed anything but get/list/query on
//   `reports` and below.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "firewarden/firestore/classify.hpp"
#include "firewarden/policy/policy.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using firewarden::firestore::Action;
using firewarden::firestore::ApiError;
using firewarden::firestore::ClassifyResult;
using firewarden::firestore::HttpRequest;
using firewarden::firestore::RequestModel;
using firewarden::firestore::Scope;
using firewarden::firestore::Segment;
using firewarden::identity::Identity;
using firewarden::policy::Decision;
using firewarden::policy::Policy;

// The proxy's defaults (SPEC §2 limits).
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 10 * 1024 * 1024;
constexpr int kMaxMessages = 16;  // per input, to keep each run short

constexpr const char* kPolicy = R"(version: 1
rules:
  - name: no-secrets
    effect: deny
    subjects: {namespaces: ["*"]}
    collections: ["secrets/**"]
    actions: [read, write, list_collections]
  - name: orders-everything
    subjects: {namespaces: [orders]}
    collections: ["**"]
    actions: [read, write, list_collections]
  - name: analytics-read-reports
    subjects: {namespaces: [analytics]}
    collections: ["reports/**"]
    actions: [read]
  - name: shadow-writes
    mode: dry-run
    subjects: {namespaces: ["*"]}
    collections: ["**"]
    actions: [write]
)";

void require(bool condition) {
  if (!condition) std::abort();
}

std::shared_ptr<const Policy> load_policy() {
  auto loaded = firewarden::policy::load_policy_text(
      kPolicy, "fuzz-policy.yaml", [](const std::string&) { return std::nullopt; });
  auto* policy = std::get_if<std::shared_ptr<const Policy>>(&loaded);
  require(policy != nullptr);
  return *policy;
}

bool could_touch_secrets(const firewarden::firestore::Requirement& requirement) {
  const auto& segments = requirement.collection.segments;
  if (segments.empty()) return true;
  return segments[0].kind != Segment::Kind::literal || segments[0].text == "secrets";
}

void check_decision(const Decision& decision, const RequestModel& model) {
  require(decision.requirements.size() == model.requirements.size());
  bool all = true;
  for (const auto& verdict : decision.requirements) all = all && verdict.allowed;
  require(decision.allowed == all);
}

void check_request(const http::request<http::string_body>& message, const Policy& policy) {
  static const Scope scope{"p", {"(default)", "db2"}};
  static const Identity orders{"spiffe://cluster.local/ns/orders/sa/api", "cluster.local", "orders",
                               "api"};
  static const Identity analytics{"spiffe://cluster.local/ns/analytics/sa/reporter",
                                  "cluster.local", "analytics", "reporter"};
  // Origin-form only (the proxy refuses anything else before classifying).
  if (!message.target().starts_with('/')) return;
  HttpRequest view{message.method_string(), message.target(), {}, message.body()};
  for (const auto& field : message) view.headers.emplace_back(field.name_string(), field.value());
  const ClassifyResult result = firewarden::firestore::classify(view, scope);
  if (const auto* error = std::get_if<ApiError>(&result)) {
    require(error->http_status == 400 || error->http_status == 403 || error->http_status == 501);
    return;
  }
  const auto& model = std::get<RequestModel>(result);
  require(model.upstream_body == message.body());

  const Decision for_orders = policy.decide(orders, model);
  check_decision(for_orders, model);
  if (for_orders.allowed) {
    for (const auto& requirement : model.requirements) require(!could_touch_secrets(requirement));
  }
  const Decision for_analytics = policy.decide(analytics, model);
  check_decision(for_analytics, model);
  if (for_analytics.allowed) {
    for (const auto& requirement : model.requirements) {
      require(requirement.action == Action::get || requirement.action == Action::list ||
              requirement.action == Action::query);
      const auto& segments = requirement.collection.segments;
      require(!segments.empty() && segments[0].kind == Segment::Kind::literal &&
              segments[0].text == "reports");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const Policy> policy = load_policy();
  beast::flat_buffer buffer;
  {
    auto space = buffer.prepare(size);
    if (size > 0) std::memcpy(space.data(), data, size);
    buffer.commit(size);
  }
  for (int messages = 0; messages < kMaxMessages && buffer.size() > 0; ++messages) {
    http::request_parser<http::string_body> parser;  // fresh per message
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    parser.eager(true);
    beast::error_code error;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      if (error == http::error::need_more && buffer.size() > 0 && used > 0) continue;
      if (error) break;
      if (used == 0 && !parser.is_done()) break;
    }
    if (!parser.is_done()) return 0;  // incomplete or refused: the connection closes
    auto& message = parser.get();
    // The server refuses a declared length over the limit before reading.
    if (parser.content_length() && *parser.content_length() > kMaxBodyBytes) return 0;
    require(message.body().size() <= kMaxBodyBytes);
    const auto expect = message[http::field::expect];
    if (!expect.empty() && !beast::iequals(expect, "100-continue")) return 0;
    check_request(message, *policy);
    if (!message.keep_alive()) return 0;  // the server stops reading here
  }
  return 0;
}
