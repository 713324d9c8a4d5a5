#include "firewarden/credentials/token_endpoint.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "firewarden/credentials/settings.hpp"
#include "firewarden/text/rfc3339.hpp"

namespace firewarden::credentials {
namespace {

using json = nlohmann::json;
using std::chrono::system_clock;

// Printable ASCII only, at most `limit` characters: error text from an
// endpoint goes into logs and client-visible messages.
std::string clean(std::string_view text, std::size_t limit = 300) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) {
      out += "…";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : ' ');
  }
  return out;
}

}  // namespace

// A server's time, read leniently (RFC 3339 §5.6 allows 't' and 'z'; IAM
// Credentials writes up to nanoseconds).
std::optional<system_clock::time_point> parse_rfc3339(std::string_view text) {
  const auto time = firewarden::text::parse_rfc3339(text, firewarden::text::Rfc3339::lenient);
  if (!time) return std::nullopt;
  const auto exact = std::chrono::sys_seconds(std::chrono::seconds(time->seconds)) +
                     std::chrono::nanoseconds(time->nanos);
  return std::chrono::time_point_cast<system_clock::duration>(exact);
}

std::string describe_error_response(const http_client::Response& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error")) {
    const json& error = body["error"];
    if (error.is_string()) {  // OAuth 2.0, RFC 6749 §5.2
      out += " " + clean(error.get<std::string>(), 80);
      if (body.contains("error_description") && body["error_description"].is_string()) {
        out += ": " + clean(body["error_description"].get<std::string>());
      }
      return out;
    }
    if (error.is_object()) {  // Google APIs, AIP-193
      if (error.contains("status") && error["status"].is_string()) {
        out += " " + clean(error["status"].get<std::string>(), 80);
      }
      if (error.contains("message") && error["message"].is_string()) {
        out += ": " + clean(error["message"].get<std::string>());
      }
      return out;
    }
  }
  if (!response.body.empty()) out += ": " + clean(response.body, 200);
  return out;
}

std::string redact(std::string text, std::initializer_list<std::string_view> secrets) {
  for (const auto secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "[redacted]");
    }
  }
  return text;
}

std::variant<AccessToken, std::string> parse_oauth_token_response(
    std::string_view body, system_clock::time_point now,
    std::optional<std::chrono::seconds> default_lifetime) {
  const json document = json::parse(body, nullptr, false);
  if (!document.is_object()) return std::string("response is not a JSON object");
  if (!document.contains("access_token") || !document["access_token"].is_string() ||
      document["access_token"].get<std::string>().empty()) {
    return std::string("response has no access_token");
  }
  AccessToken token;
  token.value = document["access_token"].get<std::string>();
  if (document.contains("expires_in")) {
    const json& expires_in = document["expires_in"];
    long long lifetime_seconds = -1;
    if (expires_in.is_number_integer()) {
      lifetime_seconds = expires_in.get<long long>();
    } else if (expires_in.is_number()) {
      lifetime_seconds = static_cast<long long>(expires_in.get<double>());
    } else if (expires_in.is_string()) {  // some servers quote it
      try {
        lifetime_seconds = std::stoll(expires_in.get<std::string>());
      } catch (const std::exception&) {
        lifetime_seconds = -1;
      }
    }
    if (lifetime_seconds <= 0) return std::string("response has an invalid expires_in");
    token.expires_at = now + std::chrono::seconds(lifetime_seconds);
  } else if (default_lifetime) {
    token.expires_at = now + *default_lifetime;
  } else {
    return std::string("response has no expires_in");
  }
  return token;
}

boost::asio::awaitable<StepResult> request_oauth_token(
    const SourceContext& context, http_client::Request request, std::string_view step,
    std::vector<std::string> secrets, std::optional<std::chrono::seconds> default_lifetime) {
  const auto url = http_client::parse_url(request.url);
  const std::string where =
      std::string(step) + " " + (url ? url->without_query() : std::string("<invalid URL>"));
  const auto hide = [&](std::string text) {
    for (const auto& secret : secrets) text = redact(std::move(text), {secret});
    return text;
  };
  auto result = co_await http_client::fetch(std::move(request), context.http);
  if (auto* error = std::get_if<http_client::Error>(&result)) {
    co_return hide(std::string(step) + ": " + error->message);
  }
  const auto& response = std::get<http_client::Response>(result);
  if (response.status != 200) co_return hide(where + ": " + describe_error_response(response));
  auto parsed = parse_oauth_token_response(response.body, context.clock->now(), default_lifetime);
  if (auto* error = std::get_if<std::string>(&parsed)) co_return where + ": " + *error;
  co_return std::get<AccessToken>(std::move(parsed));
}

std::string string_field(const json& object, const char* name, bool required) {
  if (!object.contains(name)) {
    if (required) throw CredentialsConfigError(std::string("missing \"") + name + "\"");
    return "";
  }
  if (!object[name].is_string()) {
    throw CredentialsConfigError(std::string("\"") + name + "\" must be a string");
  }
  auto value = object[name].get<std::string>();
  if (required && value.empty()) {
    throw CredentialsConfigError(std::string("\"") + name + "\" must not be empty");
  }
  return value;
}

}  // namespace firewarden::credentials
