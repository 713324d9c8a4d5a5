#include "fake_google.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "firewarden/net/asio.hpp"

namespace firewarden::testing {
// Named rather than anonymous: unit_credentials compiles this file through an
// #include, and GCC's -Wsubobject-linkage then objects to anonymous types in
// State's coroutine frames.
namespace fake_google_detail {

using json = nlohmann::json;
using tcp = net::ip::tcp;
using std::chrono::system_clock;

constexpr const char* token_exchange_grant = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr const char* jwt_bearer_grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr const char* access_token_type = "urn:ietf:params:oauth:token-type:access_token";

// Written independently of the code under test, so that an encoding bug
// there is not mirrored here.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> decode_pairs(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const auto pair = text.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      out[percent_decode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    }
    start = end + 1;
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string standard(text);
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  while (standard.size() % 4 != 0) standard.push_back('=');
  std::string out(standard.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()),
                                static_cast<int>(standard.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  for (auto it = standard.rbegin(); it != standard.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

bool verify_rs256(const std::string& pem, std::string_view input, std::string_view signature) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

std::string rfc3339(system_clock::time_point when) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{seconds - days};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.123456Z",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return buffer;
}

struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json; charset=UTF-8";
  std::string body;
};

// RFC 6749 §5.2, as STS and oauth2.googleapis.com answer.
Answer oauth_error(unsigned status, const std::string& error, const std::string& description) {
  return {status, "application/json; charset=utf-8",
          json{{"error", error}, {"error_description", description}}.dump()};
}

// AIP-193, as iamcredentials.googleapis.com answers.
Answer google_error(unsigned status, const std::string& code, const std::string& message) {
  return {status, "application/json; charset=UTF-8",
          json{{"error", {{"code", status}, {"message", message}, {"status", code}}}}.dump()};
}

}  // namespace fake_google_detail

using namespace fake_google_detail;

std::map<std::string, std::string> RecordedRequest::form() const { return decode_pairs(body); }

namespace fake_google_detail {

std::vector<std::string> split_scopes(std::string_view text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find(separator, start), text.size());
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The `scope` claim of a JWT-bearer grant's assertion ("" when unreadable).
std::string assertion_scope(const std::string& assertion) {
  const auto first = assertion.find('.');
  const auto second = assertion.find('.', first == std::string::npos ? first : first + 1);
  if (second == std::string::npos) return "";
  const auto claims_text = base64url_decode(assertion.substr(first + 1, second - first - 1));
  if (!claims_text) return "";
  const json claims = json::parse(*claims_text, nullptr, false);
  return claims.is_object() && claims.contains("scope") && claims["scope"].is_string()
             ? claims["scope"].get<std::string>()
             : "";
}

}  // namespace fake_google_detail

std::vector<std::string> RecordedRequest::scopes() const {
  switch (endpoint) {
    case Endpoint::sts: {
      const auto fields = form();
      const auto scope = fields.find("scope");
      return scope == fields.end() ? std::vector<std::string>{} : split_scopes(scope->second, ' ');
    }
    case Endpoint::oauth: {
      const auto fields = form();
      const auto assertion = fields.find("assertion");
      return assertion == fields.end() ? std::vector<std::string>{}
                                       : split_scopes(assertion_scope(assertion->second), ' ');
    }
    case Endpoint::metadata: {
      const auto scopes = query.find("scopes");
      return scopes == query.end() ? std::vector<std::string>{} : split_scopes(scopes->second, ',');
    }
    case Endpoint::iam: {
      const json document = json::parse(body, nullptr, false);
      std::vector<std::string> out;
      if (document.is_object() && document.contains("scope") && document["scope"].is_array()) {
        for (const auto& scope : document["scope"]) {
          if (scope.is_string()) out.push_back(scope.get<std::string>());
        }
      }
      return out;
    }
    default:
      return {};
  }
}

std::string RecordedRequest::service_account() const {
  static const std::regex pattern("^/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken$");
  std::smatch match;
  const std::string decoded = percent_decode(path, false);
  return std::regex_match(decoded, match, pattern) ? match[1].str() : "";
}

struct FakeGoogle::State : std::enable_shared_from_this<FakeGoogle::State> {
  explicit State(net::any_io_executor executor) : acceptor(executor) {}

  tcp::acceptor acceptor;
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::map<Endpoint, Fault> faults;
  std::string subject_token_body = "subject-token-from-url";
  std::string subject_token_content_type = "text/plain";
  std::string expected_subject_token;
  std::string public_key;
  std::chrono::seconds lifetime{3600};
  std::function<system_clock::time_point()> now = [] { return system_clock::now(); };
  std::vector<RecordedRequest> recorded;
  std::vector<std::string> issued;
  std::set<std::string> issued_set;
  int serial = 0;
  std::vector<std::weak_ptr<beast::tcp_stream>> streams;
  std::vector<std::weak_ptr<net::steady_timer>> timers;
  bool stopped = false;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }

  // The fault to apply to this request, if any (consumes one use).
  std::optional<Fault> take_fault(Endpoint endpoint) {
    std::lock_guard lock(mutex);
    auto it = faults.find(endpoint);
    if (it == faults.end() || it->second.times == 0) return std::nullopt;
    if (it->second.times > 0) --it->second.times;
    return it->second;
  }

  std::string issue(const std::string& kind) {
    std::lock_guard lock(mutex);
    std::string token = "ya29.fake-" + kind + "-" + std::to_string(++serial);
    issued.push_back(token);
    issued_set.insert(token);
    return token;
  }

  bool was_issued(const std::string& token) const {
    std::lock_guard lock(mutex);
    return issued_set.count(token) != 0;
  }

  static Endpoint classify(const std::string& method, const std::string& path) {
    if (method == "POST" && path == "/v1/token") return Endpoint::sts;
    if (method == "POST" && path == "/token") return Endpoint::oauth;
    if (method == "GET" && path == "/subject-token") return Endpoint::subject_token;
    if (path.rfind("/computeMetadata/v1/", 0) == 0) return Endpoint::metadata;
    if (path.rfind("/v1/projects/", 0) == 0 &&
        path.find(":generateAccessToken") != std::string::npos) {
      return Endpoint::iam;
    }
    return Endpoint::other;
  }

  Answer fault_answer(const RecordedRequest& request, const Fault& fault) const {
    const Endpoint endpoint = request.endpoint;
    std::string description =
        fault.error_description.empty() ? "injected failure" : fault.error_description;
    // Endpoints that echo what they were sent: {bearer}, {subject_token}.
    const auto substitute = [&](const std::string& placeholder, const std::string& value) {
      for (auto at = description.find(placeholder); at != std::string::npos;
           at = description.find(placeholder, at + value.size())) {
        description.replace(at, placeholder.size(), value);
      }
    };
    const auto authorization = request.headers.find("authorization");
    if (authorization != request.headers.end() && authorization->second.rfind("Bearer ", 0) == 0) {
      substitute("{bearer}", authorization->second.substr(7));
    }
    const auto form = request.form();
    if (form.count("subject_token") != 0) substitute("{subject_token}", form.at("subject_token"));
    if (fault.malformed_json) return {200, "application/json", "{\"access_token\": \"ya29.trunc"};
    switch (endpoint) {
      case Endpoint::iam:
        return google_error(fault.status, fault.status >= 500 ? "INTERNAL" : "PERMISSION_DENIED",
                            description);
      case Endpoint::metadata:
      case Endpoint::subject_token:
        return {fault.status, "text/plain", description};
      default:
        return oauth_error(fault.status, fault.status >= 500 ? "server_error" : "invalid_request",
                           description);
    }
  }

  long long lifetime_for(const std::optional<Fault>& fault) const {
    if (fault && fault->expires_in) return *fault->expires_in;
    std::lock_guard lock(mutex);
    return lifetime.count();
  }

  Answer sts(const RecordedRequest& request, const std::optional<Fault>& fault) {
    if (request.headers.count("content-type") == 0 ||
        request.headers.at("content-type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return oauth_error(400, "invalid_request", "Content-Type must be form-urlencoded");
    }
    const auto form = request.form();
    const auto field = [&](const char* name) {
      auto it = form.find(name);
      return it == form.end() ? std::string() : it->second;
    };
    if (field("grant_type") != token_exchange_grant) {
      return oauth_error(400, "unsupported_grant_type", "Unsupported grant type");
    }
    if (field("requested_token_type") != access_token_type) {
      return oauth_error(400, "invalid_request", "Invalid requested_token_type");
    }
    static const std::set<std::string> subject_token_types = {
        "urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:token-type:saml2", "urn:ietf:params:aws:token-type:aws4_request",
        "urn:ietf:params:oauth:token-type:access_token"};
    if (subject_token_types.count(field("subject_token_type")) == 0) {
      return oauth_error(400, "invalid_request", "Invalid subject_token_type");
    }
    if (field("audience").rfind("//iam.googleapis.com/", 0) != 0) {
      return oauth_error(400, "invalid_request", "Invalid audience");
    }
    if (field("subject_token").empty()) {
      return oauth_error(400, "invalid_request", "subject_token is required");
    }
    {
      std::lock_guard lock(mutex);
      if (!expected_subject_token.empty() && field("subject_token") != expected_subject_token) {
        return oauth_error(400, "invalid_grant", "The subject token is invalid");
      }
    }
    return {200, "application/json; charset=utf-8",
            json{{"access_token", issue("sts")},
                 {"issued_token_type", access_token_type},
                 {"token_type", "Bearer"},
                 {"expires_in", lifetime_for(fault)}}
                .dump()};
  }

  Answer iam(const RecordedRequest& request, const std::optional<Fault>& fault) {
    const auto email = request.service_account();
    if (email.empty()) return google_error(404, "NOT_FOUND", "Unknown service account path");
    const auto authorization =
        request.headers.count("authorization") ? request.headers.at("authorization") : "";
    if (authorization.rfind("Bearer ", 0) != 0 || !was_issued(authorization.substr(7))) {
      return google_error(401, "UNAUTHENTICATED",
                          "Request had invalid authentication credentials. Expected OAuth 2 "
                          "access token, login cookie or other valid authentication credential.");
    }
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("scope") || !body["scope"].is_array() ||
        body["scope"].empty() ||
        !std::all_of(body["scope"].begin(), body["scope"].end(),
                     [](const json& s) { return s.is_string(); })) {
      return google_error(400, "INVALID_ARGUMENT", "Scope required.");
    }
    long long seconds = 3600;
    if (body.contains("lifetime")) {
      static const std::regex duration("^([0-9]+)s$");
      std::smatch match;
      const std::string text =
          body["lifetime"].is_string() ? body["lifetime"].get<std::string>() : "";
      if (!std::regex_match(text, match, duration)) {
        return google_error(400, "INVALID_ARGUMENT", "Invalid value at 'lifetime'");
      }
      seconds = std::stoll(match[1].str());
    }
    if (fault && fault->expires_in) seconds = *fault->expires_in;
    std::string at_free = email;
    at_free.replace(at_free.find('@'), 1, "_at_");
    const auto now_value = [&] {
      std::lock_guard lock(mutex);
      return now();
    }();
    return {200, "application/json; charset=UTF-8",
            json{{"accessToken", issue("iam-" + at_free)},
                 {"expireTime", rfc3339(now_value + std::chrono::seconds(seconds))}}
                .dump()};
  }

  Answer metadata(const RecordedRequest& request, const std::optional<Fault>& fault) {
    const auto flavor = request.headers.find("metadata-flavor");
    if (flavor == request.headers.end() || flavor->second != "Google" ||
        request.headers.count("x-forwarded-for") != 0) {
      return {403, "text/html; charset=UTF-8",
              "Missing required header \"Metadata-Flavor\": \"Google\""};
    }
    static const std::regex token_path(
        "^/computeMetadata/v1/instance/service-accounts/[^/]+/token$");
    if (request.method != "GET" || !std::regex_match(request.path, token_path)) {
      return {404, "text/html; charset=UTF-8", "Not Found"};
    }
    return {200, "application/json",
            json{{"access_token", issue("metadata")},
                 {"expires_in", lifetime_for(fault)},
                 {"token_type", "Bearer"}}
                .dump()};
  }

  Answer oauth(const RecordedRequest& request, const std::optional<Fault>& fault) {
    const auto form = request.form();
    const auto grant = form.count("grant_type") ? form.at("grant_type") : "";
    if (grant != jwt_bearer_grant) {
      return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + grant);
    }
    const auto assertion = form.count("assertion") ? form.at("assertion") : "";
    const auto first = assertion.find('.');
    const auto second = assertion.find('.', first == std::string::npos ? 0 : first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      return oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token");
    }
    const auto header_text = base64url_decode(assertion.substr(0, first));
    const auto claims_text = base64url_decode(assertion.substr(first + 1, second - first - 1));
    const auto signature = base64url_decode(assertion.substr(second + 1));
    if (!header_text || !claims_text || !signature) {
      return oauth_error(400, "invalid_grant", "Invalid JWT encoding");
    }
    const json header = json::parse(*header_text, nullptr, false);
    const json claims = json::parse(*claims_text, nullptr, false);
    if (!header.is_object() || header.value("alg", "") != "RS256" || !claims.is_object()) {
      return oauth_error(400, "invalid_grant", "Invalid JWT header or claims");
    }
    std::string key;
    {
      std::lock_guard lock(mutex);
      key = public_key;
    }
    if (!key.empty() && !verify_rs256(key, assertion.substr(0, second), *signature)) {
      return oauth_error(400, "invalid_grant", "Invalid JWT Signature.");
    }
    const bool times_ok = claims.contains("iat") && claims["iat"].is_number_integer() &&
                          claims.contains("exp") && claims["exp"].is_number_integer() &&
                          claims["exp"].get<long long>() > claims["iat"].get<long long>() &&
                          claims["exp"].get<long long>() - claims["iat"].get<long long>() <= 3600;
    if (!times_ok || claims.value("iss", "").empty() || claims.value("scope", "").empty() ||
        claims.value("aud", "") != base_url() + "/token") {
      return oauth_error(400, "invalid_grant", "Invalid JWT claims");
    }
    return {200, "application/json; charset=utf-8",
            json{{"access_token", issue("oauth")},
                 {"expires_in", lifetime_for(fault)},
                 {"token_type", "Bearer"}}
                .dump()};
  }

  Answer subject_token() {
    std::lock_guard lock(mutex);
    return {200, subject_token_content_type, subject_token_body};
  }

  Answer handle(const RecordedRequest& request, const std::optional<Fault>& fault) {
    if (fault && (fault->status != 0 || fault->malformed_json)) {
      return fault_answer(request, *fault);
    }
    switch (request.endpoint) {
      case Endpoint::sts:
        return sts(request, fault);
      case Endpoint::iam:
        return iam(request, fault);
      case Endpoint::metadata:
        return metadata(request, fault);
      case Endpoint::oauth:
        return oauth(request, fault);
      case Endpoint::subject_token:
        return subject_token();
      case Endpoint::other:
        break;
    }
    return {404, "text/plain", "Not Found"};
  }

  net::awaitable<void> session(std::shared_ptr<beast::tcp_stream> stream) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1024 * 1024);
      stream->expires_after(std::chrono::seconds(30));
      auto [read_error, n] =
          co_await http::async_read(*stream, buffer, parser, net::as_tuple(net::use_awaitable));
      if (read_error) co_return;
      auto& message = parser.get();

      RecordedRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      const auto question = request.target.find('?');
      request.path = request.target.substr(0, question);
      if (question != std::string::npos) {
        request.query = decode_pairs(std::string_view(request.target).substr(question + 1));
      }
      for (const auto& field : message) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        request.headers[name] = std::string(field.value());
      }
      request.body = message.body();
      request.endpoint = classify(request.method, request.path);

      const auto fault = take_fault(request.endpoint);
      if (fault && fault->delay.count() > 0) {
        auto timer = std::make_shared<net::steady_timer>(stream->get_executor(), fault->delay);
        {
          std::lock_guard lock(mutex);
          timers.push_back(timer);
        }
        co_await timer->async_wait(net::as_tuple(net::use_awaitable));
        std::lock_guard lock(mutex);
        if (stopped) co_return;
      }
      const Answer answer = handle(request, fault);
      request.answered = answer.status;
      {
        std::lock_guard lock(mutex);
        recorded.push_back(request);
      }

      http::response<http::string_body> response{static_cast<http::status>(answer.status),
                                                 message.version()};
      response.set(http::field::content_type, answer.content_type);
      if (request.endpoint == Endpoint::metadata) response.set("Metadata-Flavor", "Google");
      response.keep_alive(message.keep_alive());
      response.body() = answer.body;
      response.prepare_payload();
      stream->expires_after(std::chrono::seconds(30));
      auto [write_error, written] =
          co_await http::async_write(*stream, response, net::as_tuple(net::use_awaitable));
      if (write_error || !response.keep_alive()) {
        boost::system::error_code ignored;
        stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  net::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec) co_return;  // closed by stop()
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      {
        std::lock_guard lock(mutex);
        if (stopped) co_return;
        streams.push_back(stream);
      }
      net::co_spawn(acceptor.get_executor(), session(stream), net::detached);
    }
  }

  void close_everything() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    std::lock_guard lock(mutex);
    for (auto& weak : streams) {
      if (auto stream = weak.lock()) stream->socket().close(ignored);
    }
    for (auto& weak : timers) {
      if (auto timer = weak.lock()) timer->cancel();
    }
  }
};

FakeGoogle::FakeGoogle(net::any_io_executor executor) : state_(std::make_shared<State>(executor)) {
  const tcp::endpoint loopback(net::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(loopback.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(loopback);
  state_->acceptor.listen();
  state_->port = state_->acceptor.local_endpoint().port();
  net::co_spawn(executor, state_->accept_loop(), net::detached);
}

FakeGoogle::~FakeGoogle() { stop(); }

void FakeGoogle::stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  // Sockets and timers are touched on their executor only.
  net::post(state_->acceptor.get_executor(), [state = state_] { state->close_everything(); });
}

std::uint16_t FakeGoogle::port() const { return state_->port; }
std::string FakeGoogle::base_url() const { return state_->base_url(); }
std::string FakeGoogle::external_account_json(const std::string& subject_token_file) const {
  return nlohmann::json{{"type", "external_account"},
                        {"audience",
                         "//iam.googleapis.com/projects/1/locations/global/"
                         "workloadIdentityPools/pool/providers/k8s"},
                        {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                        {"token_url", sts_token_url()},
                        {"credential_source", {{"file", subject_token_file}}}}
      .dump();
}

std::string FakeGoogle::sts_token_url() const { return base_url() + "/v1/token"; }
std::string FakeGoogle::iam_endpoint() const { return base_url(); }
std::string FakeGoogle::impersonation_url(const std::string& email) const {
  return base_url() + "/v1/projects/-/serviceAccounts/" + email + ":generateAccessToken";
}
std::string FakeGoogle::metadata_host() const { return "127.0.0.1:" + std::to_string(port()); }
std::string FakeGoogle::oauth_token_url() const { return base_url() + "/token"; }
std::string FakeGoogle::subject_token_url() const { return base_url() + "/subject-token"; }

void FakeGoogle::set_fault(Endpoint endpoint, Fault fault) {
  std::lock_guard lock(state_->mutex);
  state_->faults[endpoint] = std::move(fault);
}

void FakeGoogle::clear_faults() {
  std::lock_guard lock(state_->mutex);
  state_->faults.clear();
}

void FakeGoogle::set_subject_token_response(std::string body, std::string content_type) {
  std::lock_guard lock(state_->mutex);
  state_->subject_token_body = std::move(body);
  state_->subject_token_content_type = std::move(content_type);
}

void FakeGoogle::set_expected_subject_token(std::string token) {
  std::lock_guard lock(state_->mutex);
  state_->expected_subject_token = std::move(token);
}

void FakeGoogle::set_service_account_public_key(std::string pem) {
  std::lock_guard lock(state_->mutex);
  state_->public_key = std::move(pem);
}

void FakeGoogle::set_token_lifetime(std::chrono::seconds lifetime) {
  std::lock_guard lock(state_->mutex);
  state_->lifetime = lifetime;
}

void FakeGoogle::set_clock(std::function<system_clock::time_point()> now) {
  std::lock_guard lock(state_->mutex);
  state_->now = std::move(now);
}

std::vector<RecordedRequest> FakeGoogle::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->recorded;
}

std::vector<RecordedRequest> FakeGoogle::requests(Endpoint endpoint) const {
  std::lock_guard lock(state_->mutex);
  std::vector<RecordedRequest> out;
  for (const auto& request : state_->recorded) {
    if (request.endpoint == endpoint) out.push_back(request);
  }
  return out;
}

std::size_t FakeGoogle::count(Endpoint endpoint) const { return requests(endpoint).size(); }

std::vector<std::string> FakeGoogle::issued_tokens() const {
  std::lock_guard lock(state_->mutex);
  return state_->issued;
}

void FakeGoogle::clear_requests() {
  std::lock_guard lock(state_->mutex);
  state_->recorded.clear();
}

struct FakeGoogleThread::Loop {
  net::io_context ioc;
  FakeGoogle google{ioc.get_executor()};
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(ioc);
  std::thread thread{[this] { ioc.run(); }};
};

FakeGoogleThread::FakeGoogleThread() : loop_(std::make_unique<Loop>()), google(loop_->google) {}

boost::asio::any_io_executor FakeGoogleThread::executor() const {
  return loop_->ioc.get_executor();
}

FakeGoogleThread::~FakeGoogleThread() {
  loop_->google.stop();
  loop_->work.reset();
  loop_->ioc.stop();
  loop_->thread.join();
}

}  // namespace firewarden::testing
