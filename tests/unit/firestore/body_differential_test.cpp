// The body reader (json_tape + json_schema) against the nlohmann-DOM reader it
// replaced (tests/legacy_body, kept as a test oracle only): every body of the
// adversarial corpus and of the fuzz corpora, sent to every method that takes
// a body, and mutations of them (every truncation, and single-byte changes),
// must get the same decision, status, message and requirements from both.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "corpus_case.hpp"
#include "differential.hpp"

using namespace firewarden::firestore;
using namespace firewarden::firestore::testing;

namespace {

namespace fs = std::filesystem;

const Scope kDiffScope{"p", {"(default)", "db2"}};
const std::string kDocsPath = "/v1/projects/p/databases/(default)/documents";

struct BodyRoute {
  std::string method;
  std::string target;
};

const std::vector<BodyRoute>& body_routes() {
  static const std::vector<BodyRoute> routes = {
      {"POST", kDocsPath + ":commit"},
      {"POST", kDocsPath + ":batchWrite"},
      {"POST", kDocsPath + ":batchGet"},
      {"POST", kDocsPath + ":runQuery"},
      {"POST", kDocsPath + "/users/u1:runQuery"},
      {"POST", kDocsPath + ":runAggregationQuery"},
      {"POST", kDocsPath + ":partitionQuery"},
      {"POST", kDocsPath + ":beginTransaction"},
      {"POST", kDocsPath + ":rollback"},
      {"POST", kDocsPath + ":listCollectionIds"},
      {"POST", kDocsPath + "/users"},
      {"PATCH", kDocsPath + "/users/alice"},
  };
  return routes;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string expanded(std::string_view text) {
  std::string bytes;
  for (const auto& segment : firewarden::corpus::expand(text, {"p"}, "0")) bytes += segment.bytes;
  return bytes;
}

// Bodies of the corpus cases (tests/corpus/**/*.case with a body section).
std::vector<std::string> corpus_bodies() {
  std::vector<std::string> bodies;
  const fs::path root = fs::path(FIREWARDEN_SOURCE_DIR) / "tests/corpus";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".case") continue;
    const auto c = firewarden::corpus::load_case(entry.path().string());
    if (!c.body.empty()) bodies.push_back(expanded(c.body));
  }
  return bodies;
}

// Bodies of the fuzz corpora: after the three header lines (classify) or the
// selector byte (body_differential).
std::vector<std::string> fuzz_bodies() {
  std::vector<std::string> bodies;
  const fs::path root = fs::path(FIREWARDEN_SOURCE_DIR) / "tests/fuzz/corpus";
  for (const char* name : {"classify", "body_differential"}) {
    for (const auto& entry : fs::directory_iterator(root / name)) {
      const std::string input = read_file(entry.path());
      if (std::string_view(name) == "body_differential") {
        if (!input.empty()) bodies.push_back(input.substr(1));
        continue;
      }
      std::size_t at = 0;
      for (int line = 0; line < 3 && at != std::string::npos; ++line) {
        at = input.find('\n', at);
        if (at != std::string::npos) ++at;
      }
      if (at != std::string::npos) bodies.push_back(input.substr(at));
    }
  }
  return bodies;
}

int mismatches = 0;
int checks = 0;

HttpRequest request_to(const BodyRoute& route, const std::string& body) {
  HttpRequest request;
  request.method = route.method;
  request.target = route.target;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = body;
  return request;
}

void check(const BodyRoute& route, const std::string& body) {
  ++checks;
  const std::string mismatch = differential_mismatch(request_to(route, body), kDiffScope);
  if (!mismatch.empty() && ++mismatches <= 20) {
    FAIL_CHECK(route.method << " " << route.target << "\nbody: " << body.substr(0, 400) << "\n"
                            << mismatch);
  }
}

// The route a body was written for: the first that accepts it (else commit).
const BodyRoute& home_route(const std::string& body) {
  for (const BodyRoute& route : body_routes()) {
    if (std::holds_alternative<RequestModel>(classify(request_to(route, body), kDiffScope))) {
      return route;
    }
  }
  return body_routes().front();
}

std::vector<std::string> all_bodies() {
  std::vector<std::string> bodies = corpus_bodies();
  for (std::string& body : fuzz_bodies()) bodies.push_back(std::move(body));
  // The same texts once: many corpus cases share a body.
  std::set<std::string> unique(bodies.begin(), bodies.end());
  return {unique.begin(), unique.end()};
}

}  // namespace

TEST_CASE("corpus and fuzz-corpus bodies: the tape reader decides as the DOM reader did") {
  mismatches = 0;
  checks = 0;
  const std::vector<std::string> bodies = all_bodies();
  REQUIRE(bodies.size() > 100);  // the corpora are there
  std::size_t accepted = 0;
  for (const std::string& body : bodies) {
    for (const BodyRoute& route : body_routes()) check(route, body);
    accepted += &home_route(body) != &body_routes().front() ||
                std::holds_alternative<RequestModel>(
                    classify(request_to(body_routes().front(), body), kDiffScope));
  }
  INFO(bodies.size() << " bodies, " << accepted << " accepted on some route, " << checks
                     << " requests");
  CHECK(accepted > 30);  // the corpora hold valid bodies of every kind, not only garbage
  CHECK(mismatches == 0);
}

TEST_CASE("every truncation and single-byte change of those bodies: same decisions") {
  mismatches = 0;
  checks = 0;
  // Bytes that change JSON's meaning most; each replaces every position once.
  const std::string replacements = std::string("\"\\{}[],:0-.eu \x01\xC3\xFF", 18);
  for (const std::string& body : all_bodies()) {
    if (body.size() > 600) continue;  // the large ones are covered unmutated
    const BodyRoute& route = home_route(body);
    for (std::size_t cut = 0; cut < body.size(); ++cut) check(route, body.substr(0, cut));
    for (std::size_t at = 0; at < body.size(); ++at) {
      for (const char replacement : replacements) {
        std::string mutated = body;
        mutated[at] = replacement;
        check(route, mutated);
      }
    }
  }
  INFO(checks << " requests");
  CHECK(checks > 20000);
  CHECK(mismatches == 0);
}
