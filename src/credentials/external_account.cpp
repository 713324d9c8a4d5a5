#include "firewarden/credentials/external_account.hpp"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "firewarden/credentials/impersonation.hpp"
#include "firewarden/credentials/token_endpoint.hpp"

namespace firewarden::credentials {
namespace {

using json = nlohmann::json;

// RFC 8693 §2.1 and Google's STS v1 token endpoint.
constexpr std::string_view token_exchange_grant = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr std::string_view access_token_type = "urn:ietf:params:oauth:token-type:access_token";
constexpr std::size_t max_subject_token_bytes = 1024 * 1024;

class ExternalAccountSource final : public TokenSource {
 public:
  ExternalAccountSource(ExternalAccountFile file, const Settings& settings, SourceContext context)
      : file_(std::move(file)),
        scopes_(settings.scopes),
        lifetime_(file_.token_lifetime.value_or(settings.token_lifetime)),
        context_(std::move(context)) {}

  std::string description() const override {
    return "external_account (audience " + file_.audience + ")";
  }

  boost::asio::awaitable<TokenResult> fetch() override {
    auto subject = co_await subject_token();
    if (!subject.ok()) co_return TokenError{description() + ": " + subject.error()};
    const std::string& subject_token = subject.value().value;

    auto federated = co_await exchange(subject_token);
    if (!federated.ok()) {
      co_return TokenError{description() + ": " + redact(federated.error(), {subject_token})};
    }
    if (file_.service_account_impersonation_url.empty()) co_return std::move(federated).value();
    const std::string& federated_token = federated.value().value;
    auto impersonated = co_await generate_access_token(
        context_, file_.service_account_impersonation_url, federated_token, scopes_, lifetime_);
    if (!impersonated.ok()) {
      co_return TokenError{description() + ": " +
                           redact(impersonated.error(), {subject_token, federated_token})};
    }
    co_return std::move(impersonated).value();
  }

 private:
  // The subject token (carried in an AccessToken for want of a better
  // type), or what went wrong.
  boost::asio::awaitable<StepResult> subject_token() {
    std::string raw;
    std::string where;
    if (!file_.source_file.empty()) {
      where = "credential_source.file " + file_.source_file;
      std::ifstream in(file_.source_file, std::ios::binary);
      if (!in) co_return where + ": cannot be read";
      raw.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (raw.size() > max_subject_token_bytes) co_return where + ": larger than 1 MiB";
    } else {
      http_client::Request request;
      request.url = file_.source_url;
      request.headers = file_.source_headers;
      const auto url = http_client::parse_url(file_.source_url);
      where = "credential_source.url " + (url ? url->without_query() : std::string("<invalid>"));
      auto result = co_await http_client::fetch(std::move(request), context_.http);
      if (auto* error = std::get_if<http_client::Error>(&result)) {
        co_return "credential_source.url: " + error->message;
      }
      auto& response = std::get<http_client::Response>(result);
      if (response.status != 200) {
        co_return where + ": HTTP " + std::to_string(response.status);
      }
      raw = std::move(response.body);
    }
    // As Google's libraries do: text is used exactly as read; json names the
    // field that holds the token.
    std::string token;
    if (file_.format_type == "json") {
      const json document = json::parse(raw, nullptr, false);
      if (!document.is_object() || !document.contains(file_.subject_token_field_name) ||
          !document[file_.subject_token_field_name].is_string()) {
        co_return where + ": no string field \"" + file_.subject_token_field_name +
            "\" in the JSON subject token";
      }
      token = document[file_.subject_token_field_name].get<std::string>();
    } else {
      token = std::move(raw);
    }
    if (token.empty()) co_return where + ": the subject token is empty";
    co_return AccessToken{std::move(token), {}};
  }

  boost::asio::awaitable<StepResult> exchange(const std::string& subject_token) {
    // generateAccessToken needs a federated token with the cloud-platform (or
    // iam) scope; the impersonated token then gets exactly the configured
    // scopes (as google-auth-library does). Without impersonation the
    // federated token is the one used, with exactly the configured scopes.
    std::string scope;
    if (!file_.service_account_impersonation_url.empty()) {
      scope = cloud_platform_scope;
    } else {
      for (const auto& s : scopes_) scope += (scope.empty() ? "" : " ") + s;
    }
    // Same fields, in the same order, as Google's libraries send.
    FormFields fields = {
        {"grant_type", std::string(token_exchange_grant)},
        {"audience", file_.audience},
        {"scope", scope},
        {"requested_token_type", std::string(access_token_type)},
        {"subject_token", subject_token},
        {"subject_token_type", file_.subject_token_type},
    };
    const bool client_auth = !file_.client_id.empty() && !file_.client_secret.empty();
    // Workforce pools bill a user project; client authentication takes
    // precedence over it, as in Google's libraries.
    if (!client_auth && !file_.workforce_pool_user_project.empty()) {
      fields.emplace_back("options",
                          json{{"userProject", file_.workforce_pool_user_project}}.dump());
    }
    http_client::Request request;
    request.method = "POST";
    request.url = file_.token_url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    if (client_auth) {
      request.headers.emplace_back(
          "Authorization", "Basic " + base64_encode(file_.client_id + ":" + file_.client_secret));
    }
    request.body = form_encode(fields);
    // With impersonation the federated token is used once, right away: its
    // lifetime does not matter, so a missing expires_in is tolerated.
    const bool impersonating = !file_.service_account_impersonation_url.empty();
    // (Built outside the co_await: GCC 12 miscompiles braced lists there.)
    std::vector<std::string> secrets{subject_token, file_.client_secret};
    co_return co_await request_oauth_token(
        context_, std::move(request), "token exchange", std::move(secrets),
        impersonating ? std::optional(std::chrono::seconds(3600)) : std::nullopt);
  }

  ExternalAccountFile file_;
  std::vector<std::string> scopes_;
  std::chrono::seconds lifetime_;
  SourceContext context_;
};

}  // namespace

ExternalAccountFile parse_external_account_file(std::string_view json_text) {
  const json document = json::parse(json_text, nullptr, false);
  if (!document.is_object()) throw CredentialsConfigError("not a JSON object");
  if (string_field(document, "type", true) != "external_account") {
    throw CredentialsConfigError("\"type\" is not \"external_account\"");
  }
  ExternalAccountFile file;
  file.audience = string_field(document, "audience", true);
  file.subject_token_type = string_field(document, "subject_token_type", true);
  if (auto url = string_field(document, "token_url", false); !url.empty()) file.token_url = url;
  if (!http_client::parse_url(file.token_url)) {
    throw CredentialsConfigError("\"token_url\" is not an http(s) URL");
  }
  file.service_account_impersonation_url =
      string_field(document, "service_account_impersonation_url", false);
  if (!file.service_account_impersonation_url.empty() &&
      !http_client::parse_url(file.service_account_impersonation_url)) {
    throw CredentialsConfigError("\"service_account_impersonation_url\" is not an http(s) URL");
  }
  if (document.contains("service_account_impersonation")) {
    const json& impersonation = document["service_account_impersonation"];
    if (!impersonation.is_object()) {
      throw CredentialsConfigError("\"service_account_impersonation\" must be an object");
    }
    if (impersonation.contains("token_lifetime_seconds")) {
      const json& lifetime = impersonation["token_lifetime_seconds"];
      if (!lifetime.is_number_integer() || lifetime.get<long long>() < 600 ||
          lifetime.get<long long>() > 43200) {
        // Google's documented range for token_lifetime_seconds.
        throw CredentialsConfigError(
            "\"service_account_impersonation.token_lifetime_seconds\" must be an integer "
            "from 600 to 43200");
      }
      file.token_lifetime = std::chrono::seconds(lifetime.get<long long>());
    }
  }
  file.workforce_pool_user_project = string_field(document, "workforce_pool_user_project", false);
  file.client_id = string_field(document, "client_id", false);
  file.client_secret = string_field(document, "client_secret", false);

  if (!document.contains("credential_source") || !document["credential_source"].is_object()) {
    throw CredentialsConfigError("missing \"credential_source\" object");
  }
  const json& source = document["credential_source"];
  if (source.contains("environment_id")) {
    throw CredentialsConfigError(
        "credential_source.environment_id (AWS) is not supported; use a file or url source");
  }
  if (source.contains("executable")) {
    throw CredentialsConfigError(
        "credential_source.executable is not supported; use a file or url source");
  }
  if (source.contains("certificate")) {
    throw CredentialsConfigError(
        "credential_source.certificate is not supported; use a file or url source");
  }
  file.source_file = string_field(source, "file", false);
  file.source_url = string_field(source, "url", false);
  if (file.source_file.empty() == file.source_url.empty()) {
    throw CredentialsConfigError("credential_source needs exactly one of \"file\" and \"url\"");
  }
  if (!file.source_url.empty() && !http_client::parse_url(file.source_url)) {
    throw CredentialsConfigError("credential_source.url is not an http(s) URL");
  }
  if (source.contains("headers")) {
    if (!source["headers"].is_object()) {
      throw CredentialsConfigError("credential_source.headers must be an object");
    }
    for (const auto& [name, value] : source["headers"].items()) {
      if (!value.is_string()) {
        throw CredentialsConfigError("credential_source.headers." + name + " must be a string");
      }
      file.source_headers.emplace_back(name, value.get<std::string>());
    }
  }
  if (source.contains("format")) {
    const json& format = source["format"];
    if (!format.is_object())
      throw CredentialsConfigError("credential_source.format must be an object");
    if (auto type = string_field(format, "type", false); !type.empty()) file.format_type = type;
    if (file.format_type != "text" && file.format_type != "json") {
      throw CredentialsConfigError("credential_source.format.type must be \"text\" or \"json\"");
    }
    file.subject_token_field_name = string_field(format, "subject_token_field_name", false);
  }
  if (file.format_type == "json" && file.subject_token_field_name.empty()) {
    throw CredentialsConfigError(
        "credential_source.format.subject_token_field_name is required for format json");
  }
  return file;
}

std::unique_ptr<TokenSource> make_external_account_source(ExternalAccountFile file,
                                                          const Settings& settings,
                                                          SourceContext context) {
  return std::make_unique<ExternalAccountSource>(std::move(file), settings, std::move(context));
}

}  // namespace firewarden::credentials
