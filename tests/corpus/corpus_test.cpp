// The adversarial request corpus (issue #7): each tests/corpus/**/*.case is
// one CTest test (tests/corpus.cmake) that runs this program with
// FIREWARDEN_CORPUS_CASE set. The case's raw bytes go to the running binary
// with the real Firestore emulator upstream; the answer must be what the
// case expects and the emulator's documents must be as the case says
// (untouched unless the case is a positive control). Cases marked
// `upstream: unreached` run a second time against a recording upstream that
// must receive nothing. Format: tests/corpus/README.md.
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "corpus_case.hpp"
#include "raw_connection.hpp"
#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using namespace firewarden::corpus;

namespace {

// Every document of `project` (all collections, all depths) with its
// fields and update time, as one comparable string.
std::string emulator_snapshot(const std::string& project) {
  const auto response = http_request(
      "127.0.0.1", emulator_port(),
      HttpRequestSpec{"POST",
                      "/v1/projects/" + project + "/databases/(default)/documents:runQuery",
                      R"({"structuredQuery":{"from":[{"allDescendants":true}]}})",
                      {{"authorization", "Bearer owner"}, {"content-type", "application/json"}}});
  if (response.status != 200) {
    throw std::runtime_error("emulator snapshot failed: " + std::to_string(response.status) + " " +
                             response.body + response.error);
  }
  std::vector<std::string> documents;
  for (const auto& entry : nlohmann::json::parse(response.body)) {
    if (entry.contains("document")) documents.push_back(entry["document"].dump());
  }
  std::sort(documents.begin(), documents.end());
  std::string out;
  for (const auto& document : documents) out += document + "\n";
  return out;
}

std::string chain_file(int intermediates, const std::string& extension) {
  const std::string dir = test_state_dir() + "/corpus-chains";
  const std::string path = dir + "/chain-" + std::to_string(intermediates) + extension;
  if (!std::filesystem::exists(dir + "/chain-" + std::to_string(intermediates) + ".pem")) {
    const std::string command = std::string(FIREWARDEN_SOURCE_DIR) + "/tests/corpus/make-chain " +
                                certs_dir() + " " + dir + " " + std::to_string(intermediates);
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  return path;
}

std::optional<TlsOptions> tls_options(const CorpusCase& c) {
  if (c.mode != "mtls") return std::nullopt;
  TlsOptions tls{cert("ca"), "", "", c.tls_version};
  if (c.client_chain > 0) {
    tls.cert_file = chain_file(c.client_chain, ".pem");
    tls.key_file = chain_file(c.client_chain, ".key");
  } else if (c.client_cert != "none") {
    tls.cert_file = cert(c.client_cert);
    tls.key_file = certs_dir() + "/" + c.client_cert + ".key";
  }
  return tls;
}

std::string show(const std::string& bytes) {
  std::string out;
  for (const char ch : bytes.substr(0, 2000)) {
    if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\n') {
      out += "\\n\n";
    } else if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
      out += '.';
    } else {
      out += ch;
    }
  }
  if (bytes.size() > 2000) out += "… (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// Sends the case to `fw` and checks everything about the answer.
void run_exchange(const CorpusCase& c, const FirewardenInstance& fw) {
  const auto segments = expand_request(c, Expansion{fw.options().project});
  const auto outcome = exchange(fw.port(), tls_options(c), segments, c);
  const auto parsed = parse_responses(outcome.received, outcome.closed_by_peer);
  INFO("received:\n" << show(outcome.received));
  INFO("handshake error: " << outcome.handshake_error << "; read error: " << outcome.read_error
                           << "; closed by server: " << outcome.closed_by_peer << " after "
                           << outcome.elapsed.count() << " ms");

  if (c.expect_handshake_refused) {
    // TLS 1.2 refuses inside the handshake; with TLS 1.3 the client's side
    // completes first and the refusal arrives as an alert on the first read.
    CHECK(outcome.received.empty());
    CHECK((!outcome.handshake_error.empty() || !outcome.read_error.empty()));
  } else {
    REQUIRE(outcome.handshake_error.empty());
  }
  if (c.expect_none || c.expect_handshake_refused) {
    CHECK(outcome.received.empty());
  }
  if (!c.expect.empty() || (!c.expect_none && !c.expect_handshake_refused)) {
    CHECK_FALSE(parsed.garbage);
    CHECK(parsed.statuses == c.expect);
  }
  if (c.closed) CHECK(outcome.closed_by_peer == *c.closed);
  if (c.closed_within) CHECK(outcome.elapsed <= *c.closed_within);
  for (const auto& text : c.body_contains) {
    CAPTURE(text);
    CHECK(outcome.received.find(text) != std::string::npos);
  }
  for (const auto& text : c.body_lacks) {
    CAPTURE(text);
    CHECK(outcome.received.find(text) == std::string::npos);
  }
  if (c.renegotiation_refused) {
    INFO("renegotiation: " << outcome.renegotiation);
    REQUIRE_FALSE(outcome.renegotiation.empty());
    CHECK((outcome.renegotiation != "completed") == *c.renegotiation_refused);
  }
  for (const auto& line : c.metrics) {
    CAPTURE(line);
    CHECK(eventually([&] { return fw.admin("/metrics").body.find(line) != std::string::npos; },
                     std::chrono::seconds(5)));
  }
}

InstanceOptions instance_options(const CorpusCase& c) {
  InstanceOptions options;
  options.mode = c.mode;
  options.fixed_id = c.identity;
  options.policy_file = std::string(FIREWARDEN_SOURCE_DIR) + "/tests/corpus/policy.yaml";
  options.limits = c.limits;
  return options;
}

}  // namespace

TEST_CASE("corpus case (FIREWARDEN_CORPUS_CASE)", "[.case]") {
  std::signal(SIGPIPE, SIG_IGN);
  const char* path = std::getenv("FIREWARDEN_CORPUS_CASE");
  REQUIRE(path != nullptr);
  const CorpusCase c = load_case(path);
  INFO("case " << c.file);

  {
    INFO("against the Firestore emulator");
    FirewardenInstance fw(instance_options(c));
    const std::string project = fw.options().project;
    for (const auto& seed : c.seeds) emulator_put(project, seed.path, seed.fields);
    const std::string before = emulator_snapshot(project);
    run_exchange(c, fw);
    const std::string after = emulator_snapshot(project);
    INFO("emulator before:\n" << before << "emulator after:\n" << after);
    switch (c.upstream) {
      case UpstreamCheck::untouched:
      case UpstreamCheck::unreached:
        CHECK(after == before);
        break;
      case UpstreamCheck::changed:
        CHECK(after != before);
        break;
      case UpstreamCheck::any:
        break;
    }
  }

  if (c.upstream == UpstreamCheck::unreached) {
    INFO("against a recording upstream (must receive nothing)");
    RecordingUpstream upstream;
    auto options = instance_options(c);
    options.upstream = upstream.url();
    FirewardenInstance fw(options);
    run_exchange(c, fw);
    const auto requests = upstream.requests();
    for (const auto& request : requests) {
      INFO("upstream received " << request.method << " " << request.target);
    }
    CHECK(requests.empty());
  }
}

// A corpus case whose expectations are not met must fail: the harness
// itself is checked against a case that expects the wrong status and a
// case that claims an allowed write leaves the emulator untouched.
TEST_CASE("corpus harness: a wrong expectation fails", "[harness]") {
  std::signal(SIGPIPE, SIG_IGN);
  const std::string dir = test_state_dir() + "/corpus-harness";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/write.case");
    out << "expect: 200\nupstream: untouched\n--- request\n"
           "POST /v1/${DOCS}:commit HTTP/1.1\nHost: x\nContent-Type: application/json\n"
           "Content-Length: ${BODYLEN}\n\n--- body\n"
           "{\"writes\":[{\"update\":{\"name\":\"${DOCS}/orders/o1\",\"fields\":{}}}]}\n";
  }
  const CorpusCase c = load_case(dir + "/write.case");
  FirewardenInstance fw(instance_options(c));
  const std::string before = emulator_snapshot(fw.options().project);
  const auto outcome =
      exchange(fw.port(), std::nullopt, expand_request(c, Expansion{fw.options().project}), c);
  CHECK(parse_responses(outcome.received, outcome.closed_by_peer).statuses ==
        std::vector<int>{200});
  // The write went through, so `upstream: untouched` would be reported.
  CHECK(emulator_snapshot(fw.options().project) != before);
}

TEST_CASE("corpus harness: placeholders expand as documented", "[harness]") {
  const Expansion expansion{"p1"};
  const auto joined = [](const std::vector<Segment>& segments) {
    std::string out;
    for (const auto& segment : segments) out += segment.bytes;
    return out;
  };
  CHECK(joined(expand("a${CRLF}b${LF}c${CR}${TAB}${-}d", expansion, "0")) == "a\r\nb\nc\r\td");
  CHECK(joined(expand("${DOCS}", expansion, "0")) == "projects/p1/databases/(default)/documents");
  CHECK(joined(expand("${repeat:3:ab}", expansion, "0")) == "ababab");
  CHECK(joined(expand("${repeat:2:{\\}}", expansion, "0")) == "{}{}");
  CHECK(joined(expand("${repeat:2:${repeat:2:\\}}x}", expansion, "0")) == "}}x}}x");
  CHECK(joined(expand("${hex:00ff41}", expansion, "0")) == std::string("\0\xff"
                                                                       "A",
                                                                       3));
  CHECK(joined(expand("${BODYLEN}", expansion, "42")) == "42");
  CHECK(joined(expand("${chunk:${repeat:26:x}}", expansion, "0")) ==
        "1a\r\n" + std::string(26, 'x'));
  CHECK(joined(expand("${hexlen:${P}}", expansion, "0")) == "2");
  const auto paused = expand("a${pause:250}b", expansion, "0");
  REQUIRE(paused.size() == 2);
  CHECK(paused[0].bytes == "a");
  CHECK(paused[0].pause == std::chrono::milliseconds(250));
  CHECK(paused[1].bytes == "b");
  CHECK_THROWS(expand("${nope}", expansion, "0"));
  CHECK_THROWS(expand("${repeat:2:x", expansion, "0"));
}
