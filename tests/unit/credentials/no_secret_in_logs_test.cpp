// Tokens, keys and client secrets never reach a log line, an error message
// or /status — even when a token endpoint echoes what it was sent.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"

namespace firewarden::credentials::test {
namespace {

const std::string orders_sa = "orders-rw@my-project.iam.gserviceaccount.com";

// Captures everything the default logger writes, at every level.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_CASE("no token, subject token or client secret appears in logs, errors or status") {
  CapturedLog log;
  const std::string subject_token = "eyJhbGciOiJSUzI1NiJ9.subject-secret-payload.signature";
  const std::string client_secret = "client-secret-value-42";
  std::vector<std::string> errors;
  std::vector<std::string> issued;
  {
    Harness h;
    const auto path = h.dir.write("token", subject_token);
    h.start(h.settings(
        CredentialType::external_account,
        h.external_account_file(path, h.google.impersonation_url(orders_sa),
                                R"("client_id":"id","client_secret":")" + client_secret + "\",")));
    REQUIRE(h.run_until([&] { return h.provider->ready(); }));
    token_of(h.token("billing@my-project.iam.gserviceaccount.com"));

    // An STS that echoes the subject token and the client secret in its error.
    h.google.set_fault(Endpoint::sts, Fault::http_error(400,
                                                        "bad subject_token "
                                                        "{subject_token} for " +
                                                            client_secret));
    h.advance(3600s - 300s + 1s, 2);
    REQUIRE(h.run_until([&] { return h.refreshes("failure") >= 1; }));
    // An IAM endpoint that echoes the bearer token it was given.
    h.google.clear_faults();
    h.google.set_fault(Endpoint::iam, Fault::http_error(403,
                                                        "token {bearer} may not "
                                                        "impersonate"));
    h.advance(61s, 2);
    h.settle(200ms);
    for (const auto& status : h.provider->status()) errors.push_back(status.last_error);
    errors.push_back(error_of(h.token("third@my-project.iam.gserviceaccount.com")));
    issued = h.google.issued_tokens();
  }
  const auto text = log.text();
  CHECK_THAT(text, Catch::Contains("credentials: new token"));
  CHECK_THAT(text, Catch::Contains("[redacted]"));
  REQUIRE(issued.size() >= 3);
  std::vector<std::string> secrets = issued;
  secrets.push_back("subject-secret-payload");
  secrets.push_back(client_secret);
  secrets.push_back("ya29.");
  for (const auto& secret : secrets) {
    CHECK_THAT(text, !Catch::Contains(secret));
    for (const auto& error : errors) CHECK_THAT(error, !Catch::Contains(secret));
  }
}

TEST_CASE("no private key or JWT assertion appears in logs or errors") {
  CapturedLog log;
  std::string message;
  std::string key_material;
  {
    Harness h;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    const std::string pem(data, static_cast<std::size_t>(size));
    key_material = pem.substr(pem.find('\n') + 1, 40);
    const auto file =
        h.dir.write("key.json", nlohmann::json{{"type", "service_account"},
                                               {"private_key", pem},
                                               {"client_email", "robot@p.iam.gserviceaccount.com"},
                                               {"token_uri", h.google.oauth_token_url()}}
                                    .dump());
    h.google.set_fault(Endpoint::oauth, Fault::http_error(400, "assertion "));
    h.start(h.settings(CredentialType::service_account_key, file));
    message = error_of(h.token());
  }
  const auto text = log.text();
  CHECK_THAT(text, Catch::Contains("service_account_key"));
  for (const auto& haystack : {text, message}) {
    CHECK_THAT(haystack, !Catch::Contains(key_material));
    CHECK_THAT(haystack, !Catch::Contains("eyJ"));  // every JWT starts so
  }
}

}  // namespace
}  // namespace firewarden::credentials::test
