// Conformance against a real peer: Google's own google-auth-library (npm,
// pinned in package-lock.json) and firewarden ask the same fake Google token
// endpoints for tokens from the same credential files; the requests each one
// sent must carry the same fields and values. Node runs request-token.js; the
// fake server runs on its own thread on 127.0.0.1.
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <random>

#include "fake_google/fake_google.hpp"
#include "firewarden/credentials/token_broker.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::credentials {
namespace {

using json = nlohmann::json;
using firewarden::testing::Endpoint;
using firewarden::testing::FakeGoogleThread;
using firewarden::testing::RecordedRequest;

const std::string audience =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/"
    "pool/providers/kubernetes";
const std::string datastore = "https://www.googleapis.com/auth/datastore";
const std::string target = "orders-rw@my-project.iam.gserviceaccount.com";

struct Files {
  std::filesystem::path dir;
  Files() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("firewarden-conformance-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
  }
  ~Files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(dir / name, std::ios::binary) << content;
    return (dir / name).string();
  }
};

std::string quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs request-token.js (bounded by `timeout`); returns the token it printed.
std::string run_node(const std::vector<std::string>& args) {
  const std::string dir = FIREWARDEN_GOOGLE_AUTH_DIR;
  INFO("google-auth-library is installed by scripts/bootstrap (npm ci in " << dir << ")");
  REQUIRE(std::filesystem::exists(dir + "/node_modules/google-auth-library/package.json"));
  REQUIRE(std::string(FIREWARDEN_NODE).find("NOTFOUND") == std::string::npos);
  std::string command =
      "cd " + quote(dir) + " && timeout 60 " + quote(FIREWARDEN_NODE) + " request-token.js";
  for (const auto& arg : args) command += " " + quote(arg);
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  const int status = ::pclose(pipe);
  INFO("node: " << output);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const auto printed = json::parse(output, nullptr, false);
  REQUIRE(printed.is_object());
  return printed.value("token", "");
}

// firewarden's broker, on the peer's io_context, asked for one principal.
std::string run_firewarden(FakeGoogleThread& peer, const Settings& settings,
                           const std::string& principal) {
  telemetry::Registry registry;
  const telemetry::MetricCatalogue metrics(registry);
  auto provider = make_token_provider(peer.executor(), settings, metrics);
  auto result = net::co_spawn(peer.executor(), provider->token(principal), net::use_future);
  REQUIRE(result.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  const auto value = result.get();
  provider->stop();
  if (const auto* error = std::get_if<TokenError>(&value)) FAIL("firewarden: " << error->message);
  return std::get<AccessToken>(value).value;
}

// What google-auth-library sent for `node_args`, and what firewarden sent for
// the same settings and principal.
struct Sent {
  std::vector<RecordedRequest> library;
  std::vector<RecordedRequest> firewarden;
};

Sent both_ask(FakeGoogleThread& peer, const std::vector<std::string>& node_args,
              const Settings& settings, const std::string& principal) {
  Sent sent;
  peer.google.clear_requests();
  run_node(node_args);
  sent.library = peer.google.requests();
  peer.google.clear_requests();
  run_firewarden(peer, settings, principal);
  sent.firewarden = peer.google.requests();
  return sent;
}

Settings settings_for(CredentialType type, const std::string& file, const FakeGoogleThread& peer) {
  Settings settings;
  settings.type = type;
  settings.file = file;
  settings.scopes = {datastore};
  settings.iam_credentials_endpoint = peer.google.iam_endpoint();
  return settings;
}

std::string joined(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) out += (out.empty() ? "" : " ") + scope;
  return out;
}

const RecordedRequest& only(const std::vector<RecordedRequest>& requests, Endpoint endpoint,
                            const char* who) {
  std::size_t count = 0;
  const RecordedRequest* found = nullptr;
  for (const auto& request : requests) {
    if (request.endpoint == endpoint) {
      ++count;
      found = &request;
    }
  }
  INFO(who << " sent " << count << " requests to endpoint " << static_cast<int>(endpoint));
  REQUIRE(count == 1);
  return *found;
}

std::string media_type(const RecordedRequest& request) {
  const auto it = request.headers.find("content-type");
  if (it == request.headers.end()) return "";
  return it->second.substr(0, it->second.find(';'));
}

// generateAccessToken's body; an empty delegates list is the same request as
// none (google-auth-library's Impersonated client always sends one).
json iam_body(const RecordedRequest& request) {
  auto body = json::parse(request.body);
  if (body.contains("delegates") && body["delegates"].empty()) body.erase("delegates");
  return body;
}

void same_sts_exchange(const RecordedRequest& library, const RecordedRequest& firewarden) {
  CHECK(firewarden.method == library.method);
  CHECK(firewarden.path == library.path);
  CHECK(media_type(firewarden) == media_type(library));
  CHECK(media_type(firewarden) == "application/x-www-form-urlencoded");
  CHECK(firewarden.form() == library.form());
}

void same_generate_access_token(const RecordedRequest& library, const RecordedRequest& firewarden) {
  CHECK(firewarden.method == library.method);
  CHECK(firewarden.path == library.path);
  CHECK(firewarden.service_account() == library.service_account());
  CHECK(media_type(firewarden) == media_type(library));
  CHECK(iam_body(firewarden) == iam_body(library));
  CHECK(firewarden.headers.at("authorization").rfind("Bearer ya29.fake-", 0) == 0);
  CHECK(library.headers.at("authorization").rfind("Bearer ya29.fake-", 0) == 0);
}

std::string external_account_json(const FakeGoogleThread& peer, const json& credential_source,
                                  const json& extra = json::object()) {
  json file = {{"type", "external_account"},
               {"audience", audience},
               {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
               {"token_url", peer.google.sts_token_url()},
               {"credential_source", credential_source}};
  file.update(extra);
  return file.dump(2);
}

TEST_CASE("external_account, file source: the same STS token exchange") {
  FakeGoogleThread peer;
  Files files;
  const auto subject = files.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.sig");
  const auto file = files.write("cred.json", external_account_json(peer, {{"file", subject}}));
  const auto settings = settings_for(CredentialType::external_account, file, peer);

  const auto [library, ours] =
      both_ask(peer, {"external_account", file, joined(settings.scopes)}, settings, "");

  same_sts_exchange(only(library, Endpoint::sts, "google-auth-library"),
                    only(ours, Endpoint::sts, "firewarden"));
}

TEST_CASE(
    "external_account with service_account_impersonation_url: same exchange and "
    "generateAccessToken") {
  FakeGoogleThread peer;
  Files files;
  const auto subject = files.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.sig");
  for (const json& extra :
       {json{{"service_account_impersonation_url", peer.google.impersonation_url(target)}},
        json{{"service_account_impersonation_url", peer.google.impersonation_url(target)},
             {"service_account_impersonation", {{"token_lifetime_seconds", 1800}}}}}) {
    INFO("extra fields: " << extra.dump());
    const auto file =
        files.write("cred.json", external_account_json(peer, {{"file", subject}}, extra));
    const auto settings = settings_for(CredentialType::external_account, file, peer);

    const auto [library, ours] =
        both_ask(peer, {"external_account", file, joined(settings.scopes)}, settings, "");

    same_sts_exchange(only(library, Endpoint::sts, "google-auth-library"),
                      only(ours, Endpoint::sts, "firewarden"));
    same_generate_access_token(only(library, Endpoint::iam, "google-auth-library"),
                               only(ours, Endpoint::iam, "firewarden"));
  }
}

TEST_CASE("external_account, url source with headers and json format: same requests") {
  FakeGoogleThread peer;
  Files files;
  peer.google.set_subject_token_response(R"({"id_token":"subject-from-url"})", "application/json");
  const auto file = files.write(
      "cred.json",
      external_account_json(
          peer, {{"url", peer.google.subject_token_url()},
                 {"headers", {{"Metadata", "True"}, {"X-Identity-Header", "pool"}}},
                 {"format", {{"type", "json"}, {"subject_token_field_name", "id_token"}}}}));
  const auto settings = settings_for(CredentialType::external_account, file, peer);

  const auto [library, ours] =
      both_ask(peer, {"external_account", file, joined(settings.scopes)}, settings, "");

  const auto& library_fetch = only(library, Endpoint::subject_token, "google-auth-library");
  const auto& our_fetch = only(ours, Endpoint::subject_token, "firewarden");
  CHECK(our_fetch.method == library_fetch.method);
  CHECK(our_fetch.target == library_fetch.target);
  for (const char* header : {"metadata", "x-identity-header"}) {
    CHECK(our_fetch.headers.at(header) == library_fetch.headers.at(header));
  }
  same_sts_exchange(only(library, Endpoint::sts, "google-auth-library"),
                    only(ours, Endpoint::sts, "firewarden"));
  CHECK(only(ours, Endpoint::sts, "firewarden").form().at("subject_token") == "subject-from-url");
}

TEST_CASE("metadata server: the same token request") {
  FakeGoogleThread peer;
  ::setenv("GCE_METADATA_HOST", peer.google.metadata_host().c_str(), 1);
  Settings settings;
  settings.type = CredentialType::metadata;
  settings.scopes = {datastore, "https://www.googleapis.com/auth/cloud-platform"};

  // firewarden takes the host from $GCE_METADATA_HOST, as the library does.
  const auto [library, ours] = both_ask(peer, {"metadata", joined(settings.scopes)}, settings, "");
  ::unsetenv("GCE_METADATA_HOST");

  const auto& theirs = only(library, Endpoint::metadata, "google-auth-library");
  const auto& mine = only(ours, Endpoint::metadata, "firewarden");
  CHECK(mine.method == theirs.method);
  CHECK(mine.path == theirs.path);
  CHECK(mine.query == theirs.query);
  CHECK(mine.headers.at("metadata-flavor") == theirs.headers.at("metadata-flavor"));
  CHECK(mine.headers.at("metadata-flavor") == "Google");
}

TEST_CASE("per-namespace impersonation: the same generateAccessToken request as Impersonated") {
  FakeGoogleThread peer;
  Files files;
  const auto subject = files.write("token", "eyJhbGciOiJSUzI1NiJ9.projected.sig");
  const auto file = files.write("cred.json", external_account_json(peer, {{"file", subject}}));
  auto settings = settings_for(CredentialType::external_account, file, peer);

  const auto [library, ours] =
      both_ask(peer,
               {"impersonate", file, target, peer.google.iam_endpoint(), joined(settings.scopes),
                std::to_string(settings.token_lifetime.count())},
               settings, target);

  same_generate_access_token(only(library, Endpoint::iam, "google-auth-library"),
                             only(ours, Endpoint::iam, "firewarden"));
}

}  // namespace
}  // namespace firewarden::credentials
