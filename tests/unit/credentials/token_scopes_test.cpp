// Least privilege upstream: every token handed out for Firestore carries
// exactly credentials.scopes; cloud-platform is asked for only by the token
// that calls IAM Credentials for per-namespace impersonation. For each
// credential type, with and without impersonation, the exact scopes each
// fake endpoint received.
#include <nlohmann/json.hpp>
#include <vector>

#include "harness.hpp"

namespace firewarden::credentials::test {
namespace {

using json = nlohmann::json;
using Scopes = std::vector<std::string>;

const std::string orders_sa = "orders-rw@my-project.iam.gserviceaccount.com";
const std::string file_sa = "firewarden@my-project.iam.gserviceaccount.com";
const std::string cloud_platform{cloud_platform_scope};

std::string service_account_key_file(Harness& h) {
  const auto key = generate_rsa_key();
  h.google.set_service_account_public_key(key.public_pem);
  return h.dir.write("key.json", json{{"type", "service_account"},
                                      {"private_key_id", "k1"},
                                      {"private_key", key.private_pem},
                                      {"client_email", "robot@my-project.iam.gserviceaccount.com"},
                                      {"token_uri", h.google.oauth_token_url()}}
                                     .dump());
}

// One credential type's set-up and the endpoint its own tokens come from.
struct Case {
  const char* name;
  Endpoint endpoint;
  Settings (*settings)(Harness&);
};

const Case kCases[] = {
    {"external_account", Endpoint::sts,
     [](Harness& h) {
       return h.settings(CredentialType::external_account,
                         h.external_account_file(h.dir.write("subject", "s")));
     }},
    {"service_account_key", Endpoint::oauth,
     [](Harness& h) {
       return h.settings(CredentialType::service_account_key, service_account_key_file(h));
     }},
    {"metadata", Endpoint::metadata,
     [](Harness& h) { return h.settings(CredentialType::metadata); }},
};

// "Bearer " and the index-th token the fake issued (all endpoints, in order).
std::string bearer_of_issued(Harness& h, std::size_t index) {
  const auto issued = h.google.issued_tokens();
  REQUIRE(issued.size() > index);
  return "Bearer " + issued[index];
}

}  // namespace

TEST_CASE("without impersonation only credentials.scopes is ever asked for") {
  for (const Case& c : kCases) {
    INFO(c.name);
    Harness h;
    h.start(c.settings(h));
    const auto token = token_of(h.token());
    const auto requests = h.google.requests(c.endpoint);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].scopes() == Scopes{datastore_scope});
    CHECK(token.value == h.google.issued_tokens().at(0));
    h.settle();
    CHECK(h.google.requests().size() == 1);  // no cloud-platform token on the side
  }
}

TEST_CASE("per-namespace impersonation: a cloud-platform token calls IAM, Firestore's has scopes") {
  for (const Case& c : kCases) {
    INFO(c.name);
    Harness h;
    h.start(c.settings(h));
    const auto base = token_of(h.token());
    const auto impersonated = token_of(h.token(orders_sa));
    CHECK(token_of(h.token(orders_sa)).value == impersonated.value);  // cached

    const auto own = h.google.requests(c.endpoint);
    REQUIRE(own.size() == 2);
    CHECK(own[0].scopes() == Scopes{datastore_scope});  // the token sent to Firestore
    CHECK(own[1].scopes() == Scopes{cloud_platform});   // the IAM caller's
    const auto iam = h.google.requests(Endpoint::iam);
    REQUIRE(iam.size() == 1);
    CHECK(iam[0].service_account() == orders_sa);
    CHECK(iam[0].headers.at("authorization") == bearer_of_issued(h, 1));
    CHECK(iam[0].headers.at("authorization") != "Bearer " + base.value);
    CHECK(iam[0].scopes() == Scopes{datastore_scope});  // the impersonated token's scopes
    CHECK(impersonated.value == h.google.issued_tokens().at(2));
    CHECK(token_of(h.token()).value == base.value);  // Firestore's base token is unchanged
  }
}

TEST_CASE("scopes that already allow IAM calls need no second token") {
  for (const std::string& extra : {cloud_platform, std::string(iam_scope)}) {
    INFO(extra);
    Harness h;
    auto settings = h.settings(CredentialType::external_account,
                               h.external_account_file(h.dir.write("subject", "s")));
    settings.scopes = {datastore_scope, extra};
    h.start(settings);
    const auto base = token_of(h.token());
    token_of(h.token(orders_sa));
    const auto sts = h.google.requests(Endpoint::sts);
    REQUIRE(sts.size() == 1);
    CHECK(sts[0].scopes() == Scopes{datastore_scope, extra});
    const auto iam = h.google.requests(Endpoint::iam);
    REQUIRE(iam.size() == 1);
    CHECK(iam[0].headers.at("authorization") == "Bearer " + base.value);
    CHECK(iam[0].scopes() == Scopes{datastore_scope, extra});
  }
}

TEST_CASE("external_account with its own service account: cloud-platform only towards IAM") {
  Harness h;
  h.start(h.settings(
      CredentialType::external_account,
      h.external_account_file(h.dir.write("subject", "s"), h.google.impersonation_url(file_sa))));
  const auto base = token_of(h.token());
  SECTION("the file's own impersonation") {
    const auto sts = h.google.requests(Endpoint::sts);
    REQUIRE(sts.size() == 1);
    CHECK(sts[0].scopes() == Scopes{cloud_platform});  // the federated token only calls IAM
    const auto iam = h.google.requests(Endpoint::iam);
    REQUIRE(iam.size() == 1);
    CHECK(iam[0].service_account() == file_sa);
    CHECK(iam[0].scopes() == Scopes{datastore_scope});
    CHECK(base.value == h.google.issued_tokens().at(1));
  }
  SECTION("and per-namespace impersonation on top") {
    const auto impersonated = token_of(h.token(orders_sa));
    const auto sts = h.google.requests(Endpoint::sts);
    REQUIRE(sts.size() == 2);
    CHECK(sts[1].scopes() == Scopes{cloud_platform});
    // Issued in order: federated, Firestore base, federated, IAM caller, orders.
    const auto iam = h.google.requests(Endpoint::iam);
    REQUIRE(iam.size() == 3);
    CHECK(iam[1].service_account() == file_sa);
    CHECK(iam[1].scopes() == Scopes{cloud_platform});  // the file's account as IAM caller
    CHECK(iam[2].service_account() == orders_sa);
    CHECK(iam[2].headers.at("authorization") == bearer_of_issued(h, 3));
    CHECK(iam[2].scopes() == Scopes{datastore_scope});
    CHECK(impersonated.value == h.google.issued_tokens().at(4));
  }
}

}  // namespace firewarden::credentials::test
