#include "firewarden/credentials/impersonation.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "firewarden/credentials/token_endpoint.hpp"

namespace firewarden::credentials {

bool valid_service_account_email(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string_view::npos || email.size() > 254) {
    return false;
  }
  for (const char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  }
  return true;
}

std::string generate_access_token_url(std::string_view base, std::string_view email) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/v1/projects/-/serviceAccounts/" + std::string(email) +
         ":generateAccessToken";
}

boost::asio::awaitable<StepResult> generate_access_token(const SourceContext& context,
                                                         const std::string& url,
                                                         const std::string& base_token,
                                                         const std::vector<std::string>& scopes,
                                                         std::chrono::seconds lifetime) {
  const nlohmann::json body = {
      {"scope", scopes},
      {"lifetime", std::to_string(lifetime.count()) + "s"},  // a google.protobuf.Duration
  };
  http_client::Request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer " + base_token}};
  request.body = body.dump();
  const auto where = "generateAccessToken " + (http_client::parse_url(url)
                                                   ? http_client::parse_url(url)->without_query()
                                                   : std::string("<invalid URL>"));
  auto result = co_await http_client::fetch(std::move(request), context.http);
  if (auto* error = std::get_if<http_client::Error>(&result)) {
    co_return redact(error->message, {base_token});
  }
  const auto& response = std::get<http_client::Response>(result);
  if (response.status != 200) {
    co_return redact(where + ": " + describe_error_response(response), {base_token});
  }
  const auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (!document.is_object() || !document.contains("accessToken") ||
      !document["accessToken"].is_string() || document["accessToken"].get<std::string>().empty()) {
    co_return where + ": response has no accessToken";
  }
  if (!document.contains("expireTime") || !document["expireTime"].is_string()) {
    co_return where + ": response has no expireTime";
  }
  const auto expire_time = parse_rfc3339(document["expireTime"].get<std::string>());
  if (!expire_time) co_return where + ": response has an invalid expireTime";
  co_return AccessToken{document["accessToken"].get<std::string>(), *expire_time};
}

}  // namespace firewarden::credentials
