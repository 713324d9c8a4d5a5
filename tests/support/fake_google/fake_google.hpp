#pragma once
// A local stand-in for Google's token endpoints, for tests: the STS token
// exchange (POST /v1/token), IAM Credentials generateAccessToken
// (POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken), the
// metadata server's token endpoint
// (GET /computeMetadata/v1/instance/service-accounts/default/token), the OAuth
// 2.0 token endpoint for service account keys (POST /token, JWT-bearer grant)
// and a subject token URL for credential_source.url (GET /subject-token).
//
// Requests are checked against Google's documented formats and answered as
// Google answers (including its error shapes); every request is recorded.
// Faults can be injected per endpoint: HTTP errors, slow answers, malformed
// JSON, short token lifetimes.
//
// Listens on 127.0.0.1, port 0, on the executor it is given, so a Catch2 test
// can run it in the same io_context as the code under test.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace firewarden::testing {

enum class Endpoint { sts, iam, metadata, oauth, subject_token, other };

struct RecordedRequest {
  Endpoint endpoint = Endpoint::other;
  std::string method;
  std::string target;                          // as sent
  std::string path;                            // target without the query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  unsigned answered = 0;  // status code sent back

  // The body as decoded application/x-www-form-urlencoded fields.
  std::map<std::string, std::string> form() const;
  // generateAccessToken: the service account email in the path.
  std::string service_account() const;
  // The scopes the request asked for, in order, however its endpoint carries
  // them: STS form field `scope` (space-separated), the JWT assertion's
  // `scope` claim at /token, the metadata server's `scopes` query parameter
  // (comma-separated), generateAccessToken's JSON `scope` array. Empty when
  // the request carries none.
  std::vector<std::string> scopes() const;
};

struct Fault {
  unsigned status = 0;                  // answer with this status and Google's error shape
  bool malformed_json = false;          // answer 200 with a body that is not JSON
  std::chrono::milliseconds delay{0};   // answer this much later
  std::optional<long long> expires_in;  // lifetime (seconds) of the token issued
  // Text put into the error answer; {bearer} and {subject_token} are replaced
  // by what the request carried (an endpoint that echoes secrets).
  std::string error_description;
  int times = -1;  // requests this applies to; -1: every one

  static Fault http_error(unsigned status, std::string description = "") {
    Fault fault;
    fault.status = status;
    fault.error_description = std::move(description);
    return fault;
  }
  static Fault slow(std::chrono::milliseconds delay) { return Fault().after(delay); }
  static Fault malformed() {
    Fault fault;
    fault.malformed_json = true;
    return fault;
  }
  static Fault lifetime(long long seconds) {
    Fault fault;
    fault.expires_in = seconds;
    return fault;
  }
  Fault& after(std::chrono::milliseconds wait) {
    delay = wait;
    return *this;
  }
};

class FakeGoogle {
 public:
  explicit FakeGoogle(boost::asio::any_io_executor executor);
  ~FakeGoogle();
  FakeGoogle(const FakeGoogle&) = delete;
  FakeGoogle& operator=(const FakeGoogle&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;       // http://127.0.0.1:PORT
  std::string sts_token_url() const;  // …/v1/token
  std::string iam_endpoint() const;   // base for generateAccessToken
  std::string impersonation_url(const std::string& email) const;
  std::string metadata_host() const;      // 127.0.0.1:PORT
  std::string oauth_token_url() const;    // …/token
  std::string subject_token_url() const;  // …/subject-token
  // A workload identity federation credential file's JSON (as
  // `gcloud iam workload-identity-pools create-cred-config` writes it)
  // whose STS is this one and whose subject token is read from
  // `subject_token_file`.
  std::string external_account_json(const std::string& subject_token_file) const;

  void set_fault(Endpoint endpoint, Fault fault);
  void clear_faults();
  // What GET /subject-token answers.
  void set_subject_token_response(std::string body, std::string content_type = "text/plain");
  // STS refuses other subject tokens (400 invalid_grant). Empty: any.
  void set_expected_subject_token(std::string token);
  // JWT assertions at /token must verify with this key (PEM). Empty: not checked.
  void set_service_account_public_key(std::string pem);
  // Lifetime of issued tokens unless a fault says otherwise (default 3600 s).
  void set_token_lifetime(std::chrono::seconds lifetime);
  // The time used for expireTime (default: the system clock).
  void set_clock(std::function<std::chrono::system_clock::time_point()> now);

  std::vector<RecordedRequest> requests() const;
  std::vector<RecordedRequest> requests(Endpoint endpoint) const;
  std::size_t count(Endpoint endpoint) const;
  // Every access token handed out so far (all endpoints), oldest first.
  std::vector<std::string> issued_tokens() const;
  void clear_requests();

  // Stops accepting and closes open connections (also done by the destructor).
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// A FakeGoogle served on a thread of its own, for tests of the built binary
// (the test's own thread makes blocking requests) and for code under test
// that may run on the same thread (executor()).
class FakeGoogleThread {
 public:
  FakeGoogleThread();
  ~FakeGoogleThread();
  FakeGoogleThread(const FakeGoogleThread&) = delete;
  FakeGoogleThread& operator=(const FakeGoogleThread&) = delete;

  // The executor of the thread's io_context (the one `google` runs on).
  boost::asio::any_io_executor executor() const;

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;  // first: built before `google`, gone after it

 public:
  FakeGoogle& google;
};

}  // namespace firewarden::testing
