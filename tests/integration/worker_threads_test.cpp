// `threads: 4` (one io_context and thread per worker, connections handed out
// round-robin): REST, gRPC unary calls and a Listen stream at the same time
// through the real binary, every answer checked, a denied request never
// reaching the emulator; then a graceful stop with requests in flight on
// several workers, each finished before the process exits 0.
#include <catch2/catch.hpp>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>

#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"
#include "support/listen_responses.hpp"
#include "support/persistent_connection.hpp"
#include "support/scripted_upstream.hpp"

using namespace firewarden::testing;
using std::chrono::seconds;

namespace {

constexpr int kClients = 8;  // two connections at a time per worker
constexpr int kRounds = 6;

// What the client threads saw that they should not have.
struct Failures {
  std::mutex mutex;
  std::vector<std::string> seen;
  void add(std::string what) {
    std::lock_guard lock(mutex);
    seen.push_back(std::move(what));
  }
};

// One client: each round a REST GET, a gRPC GetDocument (each on a new
// connection, so on the next worker), a gRPC Commit of its own document
// (which the Listen stream must report), and a denied REST write.
void client(const FirewardenInstance& fw, int id, Failures& failures) {
  const std::string mine = "orders/c" + std::to_string(id);
  for (int round = 0; round < kRounds; ++round) {
    const std::string tag = "client " + std::to_string(id) + " round " + std::to_string(round);
    const std::string shared = "orders/w" + std::to_string(id % 4);
    const auto rest = fw.request({"GET", fw.documents() + "/" + shared, {}, {}});
    if (rest.status != 200 || rest.body.find(fw.document_name(shared)) == std::string::npos) {
      failures.add(tag + ": REST GET " + std::to_string(rest.status) + " " + rest.error);
    }
    const auto get = grpc_call(fw.port(), {"GetDocument", get_document(fw, "orders/w0")});
    if (get.status != 0 || get.messages.size() != 1 ||
        get.messages[0].find(fw.document_name("orders/w0")) == std::string::npos) {
      failures.add(tag + ": GetDocument " + get.transport_error + " " + get.message);
    }
    if (round == 0) {
      const auto commit = grpc_call(fw.port(), {"Commit", commit_update(fw, mine)});
      if (commit.status != 0) failures.add(tag + ": Commit " + commit.transport_error);
    }
    const std::string target = fw.documents() + "/payments?documentId=p" + std::to_string(id);
    const auto denied = fw.request(json_post(target, R"({"fields":{}})"));
    if (denied.status != 403) {
      failures.add(tag + ": denied POST got " + std::to_string(denied.status));
    }
  }
}

HttpRequestSpec held(const FirewardenInstance& fw, int id) {
  return {"GET", fw.documents() + "/orders/o" + std::to_string(id) + "/held/h1", {}, {}};
}

}  // namespace

TEST_CASE("threads 4: concurrent REST, gRPC unary and a Listen stream are all answered") {
  FirewardenInstance fw({.extra = "threads: 4\n"});
  const auto& project = fw.options().project;
  for (int i = 0; i < 4; ++i) {
    emulator_put(project, "orders/w" + std::to_string(i), R"({"n":{"integerValue":"1"}})");
  }
  GrpcBidiCall listen(fw.port(), "Listen");
  REQUIRE(listen.send(add_query_target(fw, "orders", 1)));
  REQUIRE(wait_for(listen, current(1)));

  Failures failures;
  std::vector<std::thread> clients;
  for (int id = 0; id < kClients; ++id) {
    clients.emplace_back([&, id] { client(fw, id, failures); });
  }
  // Meanwhile the stream reports every client's commit.
  std::set<std::string> reported;
  const auto all = wait_for(
      listen,
      [&](const ListenEvent& event) {
        for (int id = 0; id < kClients; ++id) {
          const auto name = fw.document_name("orders/c" + std::to_string(id));
          if (document_named(name)(event)) reported.insert(name);
        }
        return reported.size() == kClients;
      },
      seconds(60));
  for (auto& thread : clients) thread.join();
  INFO(fw.logs());
  CHECK(failures.seen == std::vector<std::string>{});
  CHECK(all.has_value());
  CHECK(reported.size() == kClients);
  // The denied writes never reached the emulator.
  for (int id = 0; id < kClients; ++id) {
    CHECK(emulator_get(project, "payments/p" + std::to_string(id)).status == 404);
  }
  // The stream is still healthy after the load, and ends cleanly.
  REQUIRE(listen.half_close());
  CHECK(listen.wait_status(seconds(10)) == 0);
}

TEST_CASE("threads 4: a graceful stop finishes the requests in flight on every worker") {
  ScriptedUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url(),
                         .limits = "{shutdown_delay: 0s, shutdown_grace: 10s}",
                         .extra = "threads: 4\n"});
  // Eight connections, two on each worker: four idle, four with a request
  // held upstream.
  std::vector<std::unique_ptr<PersistentConnection>> idle;
  std::vector<std::unique_ptr<PersistentConnection>> busy;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<PersistentConnection>(fw.port()));
    REQUIRE(idle.back()->request({"GET", fw.documents() + "/orders/idle", {}, {}}).status == 200);
    busy.push_back(std::make_unique<PersistentConnection>(fw.port()));
    REQUIRE(busy.back()->send(held(fw, i)));
  }
  REQUIRE(eventually([&] { return upstream.held() == 4; }, seconds(5)));

  fw.process().signal(SIGTERM);
  // Idle connections close at once, whichever worker holds them.
  for (auto& connection : idle) CHECK(connection->closed_by_peer(seconds(3)));
  // The held ones are waited for, not cut.
  CHECK(fw.process().running());
  CHECK(upstream.held() == 4);
  upstream.release();
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    const auto response = busy[i]->receive(seconds(5));
    CHECK(response.status == 200);
    CHECK_THAT(response.body,
               Catch::Contains("/documents/orders/o" + std::to_string(i) + "/held/h1"));
  }
  CHECK(fw.process().wait_for_exit(seconds(5)) == 0);
  CHECK_THAT(fw.logs(), Catch::Contains("stopped"));
  CHECK_THAT(fw.logs(), !Catch::Contains("shutdown_grace over"));
}
