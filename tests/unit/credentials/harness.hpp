#pragma once
// Shared set-up for the credentials tests: an io_context driven from the test
// thread in short bounded slices, the fake Google endpoints on 127.0.0.1, a
// manual clock, a metrics registry and a temporary directory.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <string>

#include "../../support/fake_google/fake_google.hpp"
#include "firewarden/credentials/clock.hpp"
#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_broker.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::credentials::test {

using namespace std::chrono_literals;
using firewarden::testing::Endpoint;
using firewarden::testing::FakeGoogle;
using firewarden::testing::Fault;

inline const std::string audience =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/"
    "pool/providers/kubernetes";
inline const std::string datastore_scope = "https://www.googleapis.com/auth/datastore";

// A fresh RSA key pair (PEM), for service account key files.
struct RsaKey {
  std::string private_pem;
  std::string public_pem;
};

inline RsaKey generate_rsa_key() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  REQUIRE(key);
  const auto to_string = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(write(bio.get()) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  RsaKey out;
  out.private_pem = to_string([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.public_pem = to_string([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("firewarden-credentials-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

struct Harness {
  net::io_context ioc;  // first: destroyed last, after everything that uses it
  FakeGoogle google{ioc.get_executor()};
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  telemetry::Registry registry;
  telemetry::MetricCatalogue metrics{registry};
  TempDir dir;
  std::shared_ptr<TokenProvider> provider;

  Harness() {
    google.set_clock([c = clock] { return c->now(); });
  }
  ~Harness() {
    if (provider) provider->stop();
    google.stop();
    settle(20ms);
  }

  // Runs the io_context in short slices until `done` holds; false when it
  // did not within `limit` (real time).
  template <typename Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      ioc.run_for(2ms);
      if (ioc.stopped()) ioc.restart();
    }
    return true;
  }

  // Gives pending work a short real-time chance to run (to show that nothing
  // happens).
  void settle(std::chrono::milliseconds time = 50ms) {
    run_until([] { return false; }, time);
  }

  template <typename T>
  T run(net::awaitable<T> work, std::chrono::milliseconds limit = 10s) {
    auto future = net::co_spawn(ioc, std::move(work), net::use_future);
    const bool finished =
        run_until([&] { return future.wait_for(0s) == std::future_status::ready; }, limit);
    REQUIRE(finished);
    return future.get();
  }

  TokenResult token(const std::string& principal = "") { return run(provider->token(principal)); }

  // Moves the manual clock once the broker's loops are asleep on it, so that
  // the move wakes exactly the sleepers it should.
  void advance(Clock::duration by, std::size_t sleepers = 1) {
    REQUIRE(run_until([&] { return clock->sleepers() >= sleepers; }));
    clock->advance(by);
  }

  std::string external_account_file(const std::string& subject_token_path,
                                    const std::string& impersonation_url = "",
                                    const std::string& extra = "") {
    std::string json = R"({"type":"external_account","audience":")" + audience +
                       R"(","subject_token_type":"urn:ietf:params:oauth:token-type:jwt",)" +
                       R"("token_url":")" + google.sts_token_url() + R"(",)";
    if (!impersonation_url.empty()) {
      json += R"("service_account_impersonation_url":")" + impersonation_url + R"(",)";
    }
    json += extra;
    json += R"("credential_source":{"file":")" + subject_token_path + R"("}})";
    return dir.write("external-account.json", json);
  }

  Settings settings(CredentialType type, const std::string& file = "") {
    Settings s;
    s.type = type;
    s.file = file;
    s.scopes = {datastore_scope};
    s.iam_credentials_endpoint = google.iam_endpoint();
    s.metadata_host = google.metadata_host();
    s.connect_timeout = 2s;
    s.request_timeout = 5s;
    return s;
  }

  void start(const Settings& s) {
    provider = make_token_provider(ioc.get_executor(), s, metrics, clock);
  }

  // external_account with a subject token file, ready to use.
  void start_external_account(const std::string& impersonation_url = "") {
    const auto subject = dir.write("subject-token", "subject-token-1");
    start(settings(CredentialType::external_account,
                   external_account_file(subject, impersonation_url)));
  }

  std::uint64_t refreshes(const std::string& result) {
    // Every principal's (the label the broker adds for each).
    std::uint64_t total = 0;
    metrics.token_refreshes_total.for_each([&](const auto& labels, const auto& counter) {
      if (labels.at(0) == result) total += counter.value();
    });
    return total;
  }
};

// IAM Credentials states expiry with fractions of a second (the fake adds
// .123456 s): equal to within a second.
inline bool near(Clock::time_point a, Clock::time_point b) {
  return a - b < std::chrono::seconds(1) && b - a < std::chrono::seconds(1);
}

inline const AccessToken& token_of(const TokenResult& result) {
  if (const auto* error = std::get_if<TokenError>(&result)) FAIL("TokenError: " << error->message);
  return std::get<AccessToken>(result);
}

inline std::string error_of(const TokenResult& result) {
  if (const auto* token = std::get_if<AccessToken>(&result)) {
    FAIL("expected a TokenError, got a token expiring "
         << token->expires_at.time_since_epoch().count());
  }
  return std::get<TokenError>(result).message;
}

}  // namespace firewarden::credentials::test
