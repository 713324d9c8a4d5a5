// Each token source against the fake Google endpoints: what is sent (Google's
// documented fields) and what comes back.
#include <openssl/evp.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "firewarden/credentials/metadata_server.hpp"
#include "firewarden/credentials/token_endpoint.hpp"
#include "harness.hpp"

namespace firewarden::credentials::test {
namespace {

using json = nlohmann::json;
const std::string orders_sa = "orders-rw@my-project.iam.gserviceaccount.com";
const std::string cloud_platform = "https://www.googleapis.com/auth/cloud-platform";

std::string decode_base64url(std::string text) {
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

TEST_CASE("external_account: STS token exchange with Google's fields") {
  Harness h;
  h.google.set_expected_subject_token("eyJhbGciOiJSUzI1NiJ9.k8s-projected-token.sig");
  const auto subject = h.dir.write("token", "eyJhbGciOiJSUzI1NiJ9.k8s-projected-token.sig");
  h.start(h.settings(CredentialType::external_account, h.external_account_file(subject)));
  CHECK(token_of(h.token()).value == "ya29.fake-sts-1");

  const auto exchanges = h.google.requests(Endpoint::sts);
  REQUIRE(exchanges.size() == 1);
  const auto& request = exchanges[0];
  CHECK(request.method == "POST");
  CHECK(request.headers.at("content-type") == "application/x-www-form-urlencoded");
  CHECK(request.headers.count("authorization") == 0);
  CHECK(request.form() ==
        std::map<std::string, std::string>{
            {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
            {"audience", audience},
            {"scope", datastore_scope},  // exactly credentials.scopes
            {"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"},
            {"subject_token", "eyJhbGciOiJSUzI1NiJ9.k8s-projected-token.sig"},
            {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"}});
}

TEST_CASE("external_account: credential_source.file is re-read at every exchange") {
  Harness h;
  const auto subject = h.dir.write("token", "rotation-1");
  h.start(h.settings(CredentialType::external_account, h.external_account_file(subject)));
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  h.dir.write("token", "rotation-2");  // kubelet rotated the projected token
  h.advance(3600s - 300s);
  REQUIRE(h.run_until([&] { return h.google.count(Endpoint::sts) == 2; }));
  const auto exchanges = h.google.requests(Endpoint::sts);
  CHECK(exchanges[0].form().at("subject_token") == "rotation-1");
  CHECK(exchanges[1].form().at("subject_token") == "rotation-2");
}

TEST_CASE("external_account: an unreadable subject token file is a failure naming the file") {
  Harness h;
  const auto path = h.dir.write("token", "x");
  h.start(h.settings(CredentialType::external_account, h.external_account_file(path + ".gone")));
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("credential_source.file " + path + ".gone: cannot be read"));
  CHECK(h.google.count(Endpoint::sts) == 0);
}

TEST_CASE("external_account: credential_source.url with headers and json format") {
  Harness h;
  h.google.set_subject_token_response(R"({"id_token":"subject-from-url","other":1})",
                                      "application/json");
  const auto file =
      h.dir.write("cred.json",
                  json{{"type", "external_account"},
                       {"audience", audience},
                       {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
                       {"token_url", h.google.sts_token_url()},
                       {"credential_source",
                        {{"url", h.google.subject_token_url()},
                         {"headers", {{"Metadata", "True"}, {"X-Extra", "1"}}},
                         {"format", {{"type", "json"}, {"subject_token_field_name", "id_token"}}}}}}
                      .dump());
  h.start(h.settings(CredentialType::external_account, file));
  CHECK(token_of(h.token()).value == "ya29.fake-sts-1");
  const auto fetches = h.google.requests(Endpoint::subject_token);
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].method == "GET");
  CHECK(fetches[0].headers.at("metadata") == "True");
  CHECK(fetches[0].headers.at("x-extra") == "1");
  const auto exchange = h.google.requests(Endpoint::sts).at(0).form();
  CHECK(exchange.at("subject_token") == "subject-from-url");
  CHECK(exchange.at("subject_token_type") == "urn:ietf:params:oauth:token-type:id_token");
}

TEST_CASE("external_account: json format without the field is a failure") {
  Harness h;
  const auto subject = h.dir.write("token.json", R"({"access_token":"x"})");
  const auto file =
      h.dir.write("cred.json",
                  json{{"type", "external_account"},
                       {"audience", audience},
                       {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                       {"token_url", h.google.sts_token_url()},
                       {"credential_source",
                        {{"file", subject},
                         {"format", {{"type", "json"}, {"subject_token_field_name", "id_token"}}}}}}
                      .dump());
  h.start(h.settings(CredentialType::external_account, file));
  CHECK_THAT(error_of(h.token()), Catch::Contains("no string field \"id_token\""));
}

TEST_CASE("external_account: service_account_impersonation_url") {
  Harness h;
  const auto subject = h.dir.write("token", "subject");
  SECTION("lifetime from settings") {
    h.start(h.settings(CredentialType::external_account,
                       h.external_account_file(subject, h.google.impersonation_url(orders_sa))));
    const auto token = token_of(h.token());
    CHECK(token.value.find("fake-iam-orders-rw") != std::string::npos);
    CHECK(near(token.expires_at, h.clock->now() + 3600s));
    // STS is asked for cloud-platform, which generateAccessToken requires.
    CHECK(h.google.requests(Endpoint::sts).at(0).form().at("scope") == cloud_platform);
    const auto iam = h.google.requests(Endpoint::iam).at(0);
    CHECK(iam.service_account() == orders_sa);
    CHECK(iam.headers.at("authorization") == "Bearer ya29.fake-sts-1");
    // The token it returns, sent to Firestore, has exactly credentials.scopes.
    CHECK(json::parse(iam.body) == json{{"scope", {datastore_scope}}, {"lifetime", "3600s"}});
  }
  SECTION("token_lifetime_seconds from the file") {
    h.start(h.settings(CredentialType::external_account,
                       h.external_account_file(
                           subject, h.google.impersonation_url(orders_sa),
                           R"("service_account_impersonation":{"token_lifetime_seconds":1800},)")));
    CHECK(near(token_of(h.token()).expires_at, h.clock->now() + 1800s));
    CHECK(json::parse(h.google.requests(Endpoint::iam).at(0).body)["lifetime"] == "1800s");
  }
}

TEST_CASE("external_account: client authentication and workforce user project") {
  Harness h;
  const auto subject = h.dir.write("token", "subject");
  SECTION("client_id and client_secret: HTTP Basic, no options") {
    h.start(h.settings(
        CredentialType::external_account,
        h.external_account_file(subject, "",
                                R"("client_id":"my-client","client_secret":"s3cr3t-value",)"
                                R"("workforce_pool_user_project":"123",)")));
    token_of(h.token());
    const auto request = h.google.requests(Endpoint::sts).at(0);
    CHECK(request.headers.at("authorization") ==
          "Basic " + base64_encode("my-client:s3cr3t-value"));
    CHECK(request.form().count("options") == 0);
  }
  SECTION("workforce_pool_user_project alone: options.userProject") {
    h.start(h.settings(
        CredentialType::external_account,
        h.external_account_file(subject, "", R"("workforce_pool_user_project":"123",)")));
    token_of(h.token());
    const auto form = h.google.requests(Endpoint::sts).at(0).form();
    CHECK(json::parse(form.at("options")) == json{{"userProject", "123"}});
  }
}

TEST_CASE("metadata: GET the default service account's token with Metadata-Flavor") {
  Harness h;
  auto settings = h.settings(CredentialType::metadata);
  settings.scopes = {datastore_scope, "https://www.googleapis.com/auth/cloud-platform"};
  h.start(settings);
  const auto token = token_of(h.token());
  CHECK(token.value == "ya29.fake-metadata-1");
  CHECK(token.expires_at == h.clock->now() + 3600s);
  const auto request = h.google.requests(Endpoint::metadata).at(0);
  CHECK(request.method == "GET");
  CHECK(request.path == "/computeMetadata/v1/instance/service-accounts/default/token");
  CHECK(request.query ==
        std::map<std::string, std::string>{
            {"scopes", datastore_scope + ",https://www.googleapis.com/auth/cloud-platform"}});
  CHECK(request.headers.at("metadata-flavor") == "Google");
  CHECK(request.answered == 200);
}

TEST_CASE("metadata: host from settings, else GCE_METADATA_HOST, else 169.254.169.254") {
  Settings settings;
  ::unsetenv("GCE_METADATA_HOST");
  CHECK(metadata_host(settings) == "169.254.169.254");
  ::setenv("GCE_METADATA_HOST", "10.0.0.1:8080", 1);
  CHECK(metadata_host(settings) == "10.0.0.1:8080");
  settings.metadata_host = "127.0.0.1:9";
  CHECK(metadata_host(settings) == "127.0.0.1:9");
  ::unsetenv("GCE_METADATA_HOST");
}

TEST_CASE("metadata: errors carry the status and the server's text") {
  Harness h;
  h.google.set_fault(Endpoint::metadata, Fault::http_error(404, "not found"));
  h.start(h.settings(CredentialType::metadata));
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("metadata (server " + h.google.metadata_host() + ")"));
  CHECK_THAT(message, Catch::Contains("HTTP 404: not found"));
}

TEST_CASE("service_account_key: RS256 JWT-bearer grant") {
  Harness h;
  const auto key = generate_rsa_key();
  h.google.set_service_account_public_key(key.public_pem);
  const auto file =
      h.dir.write("key.json", json{{"type", "service_account"},
                                   {"project_id", "my-project"},
                                   {"private_key_id", "0123abcd"},
                                   {"private_key", key.private_pem},
                                   {"client_email", "robot@my-project.iam.gserviceaccount.com"},
                                   {"client_id", "1234"},
                                   {"token_uri", h.google.oauth_token_url()}}
                                  .dump());
  h.start(h.settings(CredentialType::service_account_key, file));
  CHECK(token_of(h.token()).value == "ya29.fake-oauth-1");

  const auto request = h.google.requests(Endpoint::oauth).at(0);
  CHECK(request.answered == 200);  // the fake verified the signature
  CHECK(request.headers.at("content-type") == "application/x-www-form-urlencoded");
  const auto form = request.form();
  CHECK(form.at("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  const auto& assertion = form.at("assertion");
  const auto dot = assertion.find('.');
  const auto header = json::parse(decode_base64url(assertion.substr(0, dot)));
  CHECK(header == json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "0123abcd"}});
  const auto claims = json::parse(
      decode_base64url(assertion.substr(dot + 1, assertion.find('.', dot + 1) - dot - 1)));
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(h.clock->now().time_since_epoch()).count();
  CHECK(claims == json{{"iss", "robot@my-project.iam.gserviceaccount.com"},
                       {"scope", datastore_scope},
                       {"aud", h.google.oauth_token_url()},
                       {"iat", now},
                       {"exp", now + 3600}});
}

TEST_CASE("service_account_key: a key Google does not know is refused") {
  Harness h;
  h.google.set_service_account_public_key(generate_rsa_key().public_pem);
  const auto file =
      h.dir.write("key.json", json{{"type", "service_account"},
                                   {"private_key_id", "k1"},
                                   {"private_key", generate_rsa_key().private_pem},
                                   {"client_email", "robot@p.iam.gserviceaccount.com"},
                                   {"token_uri", h.google.oauth_token_url()}}
                                  .dump());
  h.start(h.settings(CredentialType::service_account_key, file));
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("service_account_key (robot@p.iam.gserviceaccount.com)"));
  CHECK_THAT(message, Catch::Contains("HTTP 400 invalid_grant: Invalid JWT Signature."));
}

}  // namespace
}  // namespace firewarden::credentials::test
