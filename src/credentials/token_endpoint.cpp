#include "firewarden/credentials/token_endpoint.hpp"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "firewarden/credentials/settings.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::credentials {
namespace {

using json = nlohmann::json;
using std::chrono::system_clock;

constexpr std::string_view hex_digits = "0123456789ABCDEF";

using text::hex_value;

std::optional<std::string> form_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string base64_with(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned value = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    out.push_back(alphabet[(value >> 6) & 63]);
    out.push_back(alphabet[value & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned value = byte(i) << 16;
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const unsigned value = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(value >> 18) & 63]);
    out.push_back(alphabet[(value >> 12) & 63]);
    out.push_back(alphabet[(value >> 6) & 63]);
    if (pad) out += "=";
  }
  return out;
}

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

bool parse_digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::string form_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '*' || c == '-' || c == '.' || c == '_') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex_digits[u >> 4]);
      out.push_back(hex_digits[u & 15]);
    }
  }
  return out;
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += form_escape(name);
    out.push_back('=');
    out += form_escape(value);
  }
  return out;
}

std::optional<FormFields> form_decode(std::string_view body) {
  FormFields fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = form_unescape(pair.substr(0, eq));
    auto value =
        form_unescape(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::string base64_encode(std::string_view bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                     true);
}

std::string base64url_encode(std::string_view bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     false);
}

std::optional<system_clock::time_point> parse_rfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!parse_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !parse_digits(text, 5, 2, month) || text[7] != '-' || !parse_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !parse_digits(text, 11, 2, hour) || text[13] != ':' ||
      !parse_digits(text, 14, 2, minute) || text[16] != ':' || !parse_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t at = 19;
  std::chrono::nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    long long nanos = 0;
    int digits = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      if (digits < 9) {
        nanos = nanos * 10 + (text[at] - '0');
        ++digits;
      }
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
    fraction = std::chrono::nanoseconds(nanos);
  }
  std::chrono::minutes offset{0};
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int offset_hours = 0, offset_minutes = 0;
    if (!parse_digits(text, at + 1, 2, offset_hours) || at + 3 >= text.size() ||
        text[at + 3] != ':' || !parse_digits(text, at + 4, 2, offset_minutes)) {
      return std::nullopt;
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (text[at] == '-') offset = -offset;
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second) + fraction;
  return std::chrono::time_point_cast<system_clock::duration>(local - offset);
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
    long long seconds = -1;
    if (expires_in.is_number_integer()) {
      seconds = expires_in.get<long long>();
    } else if (expires_in.is_number()) {
      seconds = static_cast<long long>(expires_in.get<double>());
    } else if (expires_in.is_string()) {  // some servers quote it
      try {
        seconds = std::stoll(expires_in.get<std::string>());
      } catch (const std::exception&) {
        seconds = -1;
      }
    }
    if (seconds <= 0) return std::string("response has an invalid expires_in");
    token.expires_at = now + std::chrono::seconds(seconds);
  } else if (default_lifetime) {
    token.expires_at = now + *default_lifetime;
  } else {
    return std::string("response has no expires_in");
  }
  return token;
}

boost::asio::awaitable<std::variant<AccessToken, std::string>> request_oauth_token(
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
