#include "firewarden/credentials/service_account_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "firewarden/credentials/token_endpoint.hpp"

namespace firewarden::credentials {
namespace {

using json = nlohmann::json;

constexpr std::string_view jwt_bearer_grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

Pkey load_private_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) throw CredentialsConfigError("out of memory reading private_key");
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw CredentialsConfigError("\"private_key\" is not a PEM private key");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    throw CredentialsConfigError("\"private_key\" is not an RSA key (RS256 needs one)");
  }
  return key;
}

// RS256 = RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
std::optional<std::string> sign_rs256(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return std::nullopt;
  }
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(context.get(), nullptr, &length, data, input.size()) != 1) return std::nullopt;
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     data, input.size()) != 1) {
    return std::nullopt;
  }
  signature.resize(length);
  return signature;
}

class ServiceAccountKeySource final : public TokenSource {
 public:
  ServiceAccountKeySource(const ServiceAccountKeyFile& file, const Settings& settings,
                          SourceContext context)
      : client_email_(file.client_email),
        key_id_(file.private_key_id),
        token_uri_(file.token_uri),
        key_(load_private_key(file.private_key)),
        scopes_(settings.scopes),
        context_(std::move(context)) {}

  std::string description() const override { return "service_account_key (" + client_email_ + ")"; }

  boost::asio::awaitable<TokenResult> fetch() override {
    const auto now = context_.clock->now();
    const auto iat =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::string scope;
    for (const auto& s : scopes_) scope += (scope.empty() ? "" : " ") + s;
    json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    if (!key_id_.empty()) header["kid"] = key_id_;
    const json claims = {{"iss", client_email_},
                         {"scope", scope},
                         {"aud", token_uri_},
                         {"iat", iat},
                         {"exp", iat + 3600}};
    const std::string signing_input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    const auto signature = sign_rs256(key_.get(), signing_input);
    if (!signature) co_return TokenError{description() + ": signing the JWT assertion failed"};
    const std::string assertion = signing_input + "." + base64url_encode(*signature);

    http_client::Request request;
    request.method = "POST";
    request.url = token_uri_;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body =
        form_encode({{"grant_type", std::string(jwt_bearer_grant)}, {"assertion", assertion}});
    std::vector<std::string> secrets{assertion, signing_input};
    auto result = co_await request_oauth_token(context_, std::move(request), "token request",
                                               std::move(secrets));
    if (!result.ok()) co_return TokenError{description() + ": " + result.error()};
    co_return std::move(result).value();
  }

 private:
  std::string client_email_;
  std::string key_id_;
  std::string token_uri_;
  Pkey key_;
  std::vector<std::string> scopes_;
  SourceContext context_;
};

}  // namespace

ServiceAccountKeyFile parse_service_account_key_file(std::string_view json_text) {
  const json document = json::parse(json_text, nullptr, false);
  if (!document.is_object()) throw CredentialsConfigError("not a JSON object");
  if (string_field(document, "type", true) != "service_account") {
    throw CredentialsConfigError("\"type\" is not \"service_account\"");
  }
  ServiceAccountKeyFile file;
  file.client_email = string_field(document, "client_email", true);
  file.private_key_id = string_field(document, "private_key_id", false);
  file.private_key = string_field(document, "private_key", true);
  if (auto uri = string_field(document, "token_uri", false); !uri.empty()) file.token_uri = uri;
  if (!http_client::parse_url(file.token_uri)) {
    throw CredentialsConfigError("\"token_uri\" is not an http(s) URL");
  }
  return file;
}

std::unique_ptr<TokenSource> make_service_account_key_source(const ServiceAccountKeyFile& file,
                                                             const Settings& settings,
                                                             SourceContext context) {
  return std::make_unique<ServiceAccountKeySource>(file, settings, std::move(context));
}

}  // namespace firewarden::credentials
