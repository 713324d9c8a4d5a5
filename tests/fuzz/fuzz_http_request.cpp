// libFuzzer target: the full HTTP request path of the data plane: raw bytes
// over a loopback connection -> the server's own request reader
// (net/request_reader.hpp: the proxy's limits, the request-smuggling checks,
// Expect, trailers; one fresh parser per message, pipelined messages read
// in turn, as net/server.cpp does) -> the origin-form check ->
// firestore::classify -> policy decide for two callers (as
// proxy/firestore_proxy.cpp does).
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
#include "firewarden/net/request_reader.hpp"
#include "firewarden/policy/policy.hpp"

namespace {

namespace net = firewarden::net;
namespace beast = firewarden::beast;
namespace http = firewarden::http;
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
using firewarden::transport::ClientStream;
using firewarden::transport::RequestLimits;
using firewarden::transport::RequestParser;

// The proxy's defaults (SPEC §2 limits).
constexpr std::uint64_t kMaxBodyBytes = 10 * 1024 * 1024;
const RequestLimits kLimits{16 * 1024, kMaxBodyBytes, std::chrono::seconds(10)};
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

// Reads the messages of one connection as the server's session does, and
// checks each request the reader accepts. Stops where the server would
// close the connection.
net::awaitable<void> read_messages(ClientStream& client, const Policy& policy) {
  beast::flat_buffer buffer(kLimits.max_header_bytes + 64 * 1024);
  for (int messages = 0; messages < kMaxMessages; ++messages) {
    RequestParser parser;  // fresh per message
    limit_parser(parser, kLimits);
    auto error = co_await read_request_head(client, buffer, parser, kLimits);
    if (!error) error = co_await read_request_body(client, buffer, parser, kLimits);
    if (error) break;  // refused, incomplete or the end: the connection closes
    const auto& message = parser.get();
    require(message.body().size() <= kMaxBodyBytes);
    const auto expect = message[http::field::expect];
    require(expect.empty() || beast::iequals(expect, "100-continue"));
    check_request(message, policy);
    if (!message.keep_alive()) break;  // the server stops reading here
  }
  client.tcp().close();
}

// Sends the input and then the end of the stream; stops early once the
// reader closed its side.
net::awaitable<void> send_input(net::ip::tcp::socket& socket, const std::uint8_t* data,
                                std::size_t size) {
  co_await net::async_write(socket, net::buffer(data, size), net::as_tuple(net::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

// Connect and accept are asynchronous: libFuzzer's -timeout alarm (SIGALRM)
// interrupts a blocking connect() with EINTR, which must not read as a crash.
net::awaitable<void> connect_and_send(net::ip::tcp::socket& socket,
                                      net::ip::tcp::acceptor& acceptor, const std::uint8_t* data,
                                      std::size_t size) {
  auto [error] =
      co_await socket.async_connect(acceptor.local_endpoint(), net::as_tuple(net::use_awaitable));
  if (error) {
    acceptor.cancel();  // the reader's accept ends too: nothing to read
    co_return;
  }
  co_await send_input(socket, data, size);
}

net::awaitable<void> accept_and_read(net::ip::tcp::acceptor& acceptor, const Policy& policy) {
  auto [error, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
  if (error) co_return;
  ClientStream client(std::move(socket));
  co_await read_messages(client, policy);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const Policy> policy = load_policy();
  static net::io_context io;
  static net::ip::tcp::acceptor acceptor(io, {net::ip::address_v4::loopback(), 0});
  net::ip::tcp::socket sender(io);  // open until the reader is done
  net::co_spawn(io, connect_and_send(sender, acceptor, data, size), net::detached);
  net::co_spawn(io, accept_and_read(acceptor, *policy), net::detached);
  io.restart();
  io.run();  // both end: the reader within kMaxMessages reads, the sender once it closed
  return 0;
}
