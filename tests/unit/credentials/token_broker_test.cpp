// The broker: caching, refresh-ahead timing, single-flight, backoff,
// readiness, impersonation per principal, metrics, stop. Time is a manual
// clock; the io_context runs in short bounded slices.
#include "firewarden/credentials/token_broker.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "harness.hpp"

namespace firewarden::credentials::test {
namespace {

const std::string orders_sa = "orders-rw@my-project.iam.gserviceaccount.com";
const std::string billing_sa = "billing-ro@my-project.iam.gserviceaccount.com";

TEST_CASE("the base token is fetched at start and then served from the cache") {
  Harness h;
  h.start_external_account();
  CHECK_FALSE(h.provider->ready());
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  CHECK(h.google.count(Endpoint::sts) == 1);

  const auto first = token_of(h.token());
  CHECK(first.value == "ya29.fake-sts-1");
  CHECK(first.expires_at == h.clock->now() + 3600s);
  for (int i = 0; i < 10; ++i) CHECK(token_of(h.token()).value == first.value);
  CHECK(h.google.count(Endpoint::sts) == 1);
  CHECK(h.refreshes("success") == 1);
  CHECK(h.refreshes("failure") == 0);

  const auto status = h.provider->status();
  REQUIRE(status.size() == 1);
  CHECK(status[0].principal == "default");
  CHECK(status[0].expires_at == first.expires_at);
  CHECK(status[0].last_error.empty());
}

TEST_CASE("the token is refreshed in the background refresh_margin before expiry") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  const auto first = token_of(h.token());

  // Default margin 5m: nothing happens until expiry - 300 s ...
  h.advance(3600s - 300s - 1s);
  h.settle();
  CHECK(h.google.count(Endpoint::sts) == 1);
  CHECK(token_of(h.token()).value == first.value);

  // ... and then exactly one exchange, before any request needs it.
  h.advance(2s);
  REQUIRE(h.run_until([&] { return h.google.count(Endpoint::sts) == 2; }));
  REQUIRE(h.run_until([&] { return h.refreshes("success") == 2; }));
  const auto second = token_of(h.token());
  CHECK(second.value == "ya29.fake-sts-2");
  CHECK(second.expires_at == h.clock->now() + 3600s);
  h.settle();
  CHECK(h.google.count(Endpoint::sts) == 2);

  const auto expiry =
      h.registry
          .gauge("firewarden_token_expiry_timestamp_seconds",
                 "Expiry of the cached Google access token (Unix time)", {"principal"})
          .with({"default"})
          .value();
  CHECK(expiry ==
        Approx(std::chrono::duration<double>(second.expires_at.time_since_epoch()).count()));
}

TEST_CASE("1,000 concurrent first requests cause exactly one exchange") {
  Harness h;
  // A slow STS, so that every request arrives while the exchange runs.
  h.google.set_fault(Endpoint::sts, Fault::slow(100ms));
  h.start_external_account();

  std::vector<std::future<TokenResult>> results;
  for (int i = 0; i < 1000; ++i) {
    results.push_back(net::co_spawn(h.ioc, h.provider->token(""), net::use_future));
  }
  REQUIRE(h.run_until([&] {
    for (auto& result : results) {
      if (result.wait_for(0s) != std::future_status::ready) return false;
    }
    return true;
  }));
  for (auto& result : results) CHECK(token_of(result.get()).value == "ya29.fake-sts-1");
  CHECK(h.google.count(Endpoint::sts) == 1);
}

TEST_CASE("1,000 concurrent first requests for an impersonated principal cause one exchange") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  h.google.set_fault(Endpoint::iam, Fault::slow(100ms));

  std::vector<std::future<TokenResult>> results;
  for (int i = 0; i < 1000; ++i) {
    results.push_back(net::co_spawn(h.ioc, h.provider->token(orders_sa), net::use_future));
  }
  REQUIRE(h.run_until([&] {
    for (auto& result : results) {
      if (result.wait_for(0s) != std::future_status::ready) return false;
    }
    return true;
  }));
  const std::string expected = token_of(results.front().get()).value;
  for (std::size_t i = 1; i < results.size(); ++i) {
    CHECK(token_of(results[i].get()).value == expected);
  }
  CHECK(h.google.count(Endpoint::iam) == 1);
  // The base token and the one cloud-platform token that calls IAM Credentials.
  CHECK(h.google.count(Endpoint::sts) == 2);
}

TEST_CASE("failures are retried with exponential backoff and jitter") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::http_error(500));
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.refreshes("failure") == 1; }));
  CHECK_FALSE(h.provider->ready());

  // Attempt n waits between backoff/2 and backoff, backoff = 1 s · 2^(n-1).
  Clock::duration expected = 1s;
  for (std::uint64_t attempt = 2; attempt <= 7; ++attempt) {
    h.advance(expected / 2 - 10ms);
    h.settle(20ms);
    CHECK(h.google.count(Endpoint::sts) == attempt - 1);
    h.advance(expected / 2 + 20ms);
    REQUIRE(h.run_until([&] { return h.refreshes("failure") == attempt; }));
    CHECK(h.google.count(Endpoint::sts) == attempt);
    expected *= 2;
  }
  // Capped at backoff_max (60 s).
  for (std::uint64_t attempt = 8; attempt <= 9; ++attempt) {
    h.advance(60s + 10ms);
    REQUIRE(h.run_until([&] { return h.refreshes("failure") == attempt; }));
  }

  h.google.clear_faults();
  h.advance(60s + 10ms);
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  CHECK(h.refreshes("success") == 1);
  CHECK(h.provider->status()[0].last_error.empty());
}

TEST_CASE("a failing refresh keeps the current token in use until min_validity, then 503s") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  const auto first = token_of(h.token());

  h.google.set_fault(Endpoint::sts, Fault::http_error(400, "The subject token is expired"));
  h.advance(3600s - 300s);  // refresh time
  REQUIRE(h.run_until([&] { return h.refreshes("failure") == 1; }));
  CHECK(token_of(h.token()).value == first.value);
  CHECK(h.provider->ready());
  const auto status = h.provider->status();
  CHECK_THAT(status[0].last_error, Catch::Contains("HTTP 400 invalid_request"));

  // Keep failing until the token is within min_validity (60 s) of expiry.
  while (h.clock->now() < first.expires_at - 60s) {
    CHECK(token_of(h.token()).value == first.value);
    const auto failures = h.refreshes("failure");
    h.advance(std::min<Clock::duration>(61s, first.expires_at - 60s - h.clock->now()));
    REQUIRE(h.run_until([&] {
      return h.refreshes("failure") > failures || h.clock->now() >= first.expires_at - 60s;
    }));
  }
  const auto message = error_of(h.token());
  CHECK_FALSE(h.provider->ready());
  CHECK_THAT(message, Catch::Contains("no valid Google access token for default"));
  CHECK_THAT(message, Catch::Contains("external_account"));
  CHECK_THAT(message, Catch::Contains(audience));
  CHECK_THAT(message, Catch::Contains("HTTP 400 invalid_request: The subject token is expired"));
  CHECK_THAT(message, Catch::Contains(h.google.sts_token_url()));

  // Recovery flips readiness back.
  h.google.clear_faults();
  h.advance(61s);
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  CHECK(token_of(h.token()).value != first.value);
}

TEST_CASE("during an outage requests fail at once instead of waiting for retries") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::http_error(503));
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.refreshes("failure") == 1; }));
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("HTTP 503"));
  CHECK(h.google.count(Endpoint::sts) == 1);  // requests never trigger exchanges
}

TEST_CASE("the first requests wait for the first exchange and share its error") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::http_error(500).after(50ms));
  h.start_external_account();
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("HTTP 500 server_error: injected failure"));
  CHECK_THAT(message, Catch::Contains("external_account (audience " + audience + ")"));
}

TEST_CASE("short expires_in: refreshed halfway through the usable time, no hot loop") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::lifetime(120));
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  CHECK(token_of(h.token()).expires_at == h.clock->now() + 120s);
  // usable for 120 - 60 s; refresh after half of that.
  h.advance(29s);
  h.settle();
  CHECK(h.google.count(Endpoint::sts) == 1);
  h.advance(2s);
  REQUIRE(h.run_until([&] { return h.google.count(Endpoint::sts) == 2; }));
  h.settle();
  CHECK(h.google.count(Endpoint::sts) == 2);
}

TEST_CASE("a token valid for less than min_validity is a failure") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::lifetime(30));
  h.start_external_account();
  const auto message = error_of(h.token());
  CHECK_THAT(message, Catch::Contains("valid for only 30s (min_validity 60s)"));
  CHECK_FALSE(h.provider->ready());
}

TEST_CASE("malformed JSON and slow answers are failures with a reason") {
  Harness h;
  SECTION("malformed JSON") {
    h.google.set_fault(Endpoint::sts, Fault::malformed());
    h.start_external_account();
    CHECK_THAT(error_of(h.token()), Catch::Contains("response is not a JSON object"));
  }
  SECTION("slower than request_timeout") {
    h.google.set_fault(Endpoint::sts, Fault::slow(2s));
    auto settings = h.settings(CredentialType::external_account,
                               h.external_account_file(h.dir.write("subject", "s")));
    settings.request_timeout = 200ms;
    h.start(settings);
    CHECK_THAT(error_of(h.token()), Catch::Contains("timed out"));
  }
  SECTION("nothing listening") {
    auto settings = h.settings(CredentialType::metadata);
    settings.metadata_host = "127.0.0.1:1";
    h.start(settings);
    CHECK_THAT(error_of(h.token()), Catch::Contains("metadata (server 127.0.0.1:1)"));
    CHECK_THAT(error_of(h.token()), Catch::Contains("connect"));
  }
}

TEST_CASE("impersonation per principal: generateAccessToken with the base token, cached") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));

  const auto orders = token_of(h.token(orders_sa));
  CHECK(orders.value.find("iam-orders-rw_at_my-project") != std::string::npos);
  const auto billing = token_of(h.token(billing_sa));
  CHECK(billing.value.find("iam-billing-ro_at_my-project") != std::string::npos);
  CHECK(token_of(h.token(orders_sa)).value == orders.value);
  CHECK(token_of(h.token(billing_sa)).value == billing.value);

  const auto calls = h.google.requests(Endpoint::iam);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].service_account() == orders_sa);
  CHECK(calls[1].service_account() == billing_sa);
  // Called with the cloud-platform token (the second exchange), never with
  // the Firestore token.
  CHECK(calls[0].headers.at("authorization") == "Bearer ya29.fake-sts-2");
  CHECK(calls[1].headers.at("authorization") == "Bearer ya29.fake-sts-2");
  CHECK(calls[0].headers.at("content-type") == "application/json");
  const auto body = nlohmann::json::parse(calls[0].body);
  CHECK(body == nlohmann::json{{"scope", {datastore_scope}}, {"lifetime", "3600s"}});
  CHECK(h.google.count(Endpoint::sts) == 2);  // one IAM caller token for all principals

  std::vector<std::string> principals;
  for (const auto& status : h.provider->status()) principals.push_back(status.principal);
  CHECK_THAT(principals, Catch::UnorderedEquals(std::vector<std::string>{
                             "default", "default (cloud-platform)", orders_sa, billing_sa}));
}

TEST_CASE("impersonated tokens are refreshed on their own schedule") {
  Harness h;
  auto settings = h.settings(CredentialType::external_account,
                             h.external_account_file(h.dir.write("subject", "s")));
  settings.token_lifetime = 1800s;
  h.start(settings);
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  const auto first = token_of(h.token(orders_sa));
  CHECK(near(first.expires_at, h.clock->now() + 1800s));
  CHECK(nlohmann::json::parse(h.google.requests(Endpoint::iam)[0].body)["lifetime"] == "1800s");

  // Three sleepers: the base token, the IAM caller's token, orders'.
  h.advance(1800s - 300s + 1s, 3);
  REQUIRE(h.run_until([&] { return h.google.count(Endpoint::iam) == 2; }));
  REQUIRE(h.run_until([&] { return token_of(h.token(orders_sa)).value != first.value; }));
  CHECK(h.google.count(Endpoint::sts) == 2);  // the base and IAM caller tokens are still fresh
}

TEST_CASE("impersonation failures name the principal and the IAM error") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  h.google.set_fault(Endpoint::iam, Fault::http_error(403,
                                                      "Permission 'iam.serviceAccounts."
                                                      "getAccessToken' denied on resource"));
  const auto message = error_of(h.token(orders_sa));
  CHECK_THAT(message, Catch::Contains("impersonating " + orders_sa));
  CHECK_THAT(message, Catch::Contains("HTTP 403 PERMISSION_DENIED: Permission"));
  CHECK_THAT(message, Catch::Contains("generateAccessToken"));
  CHECK(h.provider->ready());  // the base credential is fine
}

TEST_CASE("impersonation without a base token says so") {
  Harness h;
  h.google.set_fault(Endpoint::sts, Fault::http_error(500));
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.refreshes("failure") == 1; }));
  const auto message = error_of(h.token(orders_sa));
  CHECK_THAT(message, Catch::Contains("impersonating " + orders_sa + ": no base token"));
  CHECK(h.google.count(Endpoint::iam) == 0);
}

TEST_CASE("principals that are not service account emails are refused without a request") {
  Harness h;
  h.start_external_account();
  for (const std::string bad : {"a/b@x", "x@y?z", "no-at-sign", "a@b@c", "a b@c", "@x"}) {
    CHECK_THAT(error_of(h.token(bad)), Catch::Contains("is not a service account email"));
  }
  h.settle();
  CHECK(h.google.count(Endpoint::iam) == 0);
}

TEST_CASE("static and none need no exchange and are always ready") {
  net::io_context ioc;
  telemetry::Registry registry;
  const telemetry::MetricCatalogue metrics(registry);
  Settings settings;
  settings.type = CredentialType::static_token;
  settings.token = "owner";
  auto provider = make_token_provider(ioc.get_executor(), settings, metrics);
  CHECK(provider->ready());
  auto result = net::co_spawn(ioc, provider->token(""), net::use_future);
  ioc.run();
  CHECK(token_of(result.get()).value == "owner");

  settings.type = CredentialType::none;
  provider = make_token_provider(ioc.get_executor(), settings, metrics);
  ioc.restart();
  result = net::co_spawn(ioc, provider->token("x@y.z"), net::use_future);
  ioc.run();
  CHECK(token_of(result.get()).value.empty());
  CHECK(provider->ready());
}

TEST_CASE("stop() ends the background loops so the io_context runs dry") {
  Harness h;
  h.start_external_account();
  REQUIRE(h.run_until([&] { return h.provider->ready(); }));
  REQUIRE(token_of(h.token(orders_sa)).value.size() > 0);
  h.provider->stop();
  h.google.stop();
  // Nothing left to do: run() returns at once instead of at its limit.
  const auto start = std::chrono::steady_clock::now();
  h.ioc.run_for(5s);
  CHECK(h.ioc.stopped());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK_FALSE(h.provider->ready());
  h.ioc.restart();
  CHECK_THAT(error_of(h.token()), Catch::Contains("shutting down"));
}

TEST_CASE("bad settings and files are start-up errors that name the problem") {
  net::io_context ioc;
  telemetry::Registry registry;
  const telemetry::MetricCatalogue metrics(registry);
  TempDir dir;
  const auto make = [&](const Settings& settings) {
    return make_token_provider(ioc.get_executor(), settings, metrics);
  };
  const auto fails_with = [&](const Settings& settings, const std::string& text) {
    CHECK_THROWS_WITH(make(settings), Catch::Contains(text));
  };
  Settings settings;
  settings.type = CredentialType::static_token;
  fails_with(settings, "credentials.token is required");

  settings.type = CredentialType::external_account;
  settings.file = dir.write("missing-dir/none.json", "");
  fails_with(settings, "cannot be read");
  settings.file = dir.write("bad.json", "{not json");
  fails_with(settings, "not a JSON object");
  settings.file = dir.write("sa.json", R"({"type":"service_account"})");
  fails_with(settings, "\"type\" is not \"external_account\"");
  settings.file = dir.write(
      "aws.json",
      R"({"type":"external_account","audience":"//iam.googleapis.com/x","subject_token_type":"t",)"
      R"("credential_source":{"environment_id":"aws1"}})");
  fails_with(settings, "AWS) is not supported");
  settings.file = dir.write(
      "json-no-field.json",
      R"({"type":"external_account","audience":"//iam.googleapis.com/x","subject_token_type":"t",)"
      R"("credential_source":{"file":"/x","format":{"type":"json"}}})");
  fails_with(settings, "subject_token_field_name is required");

  settings.type = CredentialType::service_account_key;
  settings.file = dir.write(
      "key.json",
      R"({"type":"service_account","client_email":"a@b.iam.gserviceaccount.com",)"
      R"("private_key":"-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n"})");
  try {
    make(settings);
    FAIL("no exception");
  } catch (const CredentialsConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("is not a PEM private key"));
    CHECK_THAT(std::string(e.what()), !Catch::Contains("not-a-key"));
  }

  settings.type = CredentialType::metadata;
  settings.refresh_margin = 60s;
  settings.min_validity = 60s;
  fails_with(settings, "refresh_margin (60s) must be longer than credentials.min_validity (60s)");
}

}  // namespace
}  // namespace firewarden::credentials::test
