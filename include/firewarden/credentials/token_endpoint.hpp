#pragma once
// Pieces shared by the token sources for talking to Google's token endpoints:
// form encoding (application/x-www-form-urlencoded, as URLSearchParams
// writes it), OAuth 2.0 token responses (RFC 6749 §5.1), RFC 3339 times (IAM
// Credentials' expireTime), error descriptions and redaction.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/credentials/token_source.hpp"
#include "firewarden/net/http_client.hpp"

namespace firewarden::credentials {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// One form or query component: unreserved characters (ALPHA DIGIT * - . _)
// kept, space as '+', everything else %XX.
std::string form_escape(std::string_view text);
std::string form_encode(const FormFields& fields);
// The inverse (for the test server): '+' is a space, %XX decoded. Nullopt on
// a malformed escape.
std::optional<FormFields> form_decode(std::string_view body);

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // no padding (RFC 7515 §2)

// "2014-10-02T15:01:23Z", "2014-10-02T15:01:23.045123456Z", "…+02:00".
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// "HTTP 400 invalid_grant: The audience in ID Token […] does not match" from
// an OAuth 2.0 error ({"error","error_description"}) or a Google API error
// ({"error":{"code","message","status"}}); the body is quoted only when it is
// neither, shortened and stripped of control characters.
std::string describe_error_response(const http_client::Response& response);

// Replaces every occurrence of each secret (4 characters or longer) by
// "[redacted]": a defence against endpoints that echo what they were sent.
std::string redact(std::string text, std::initializer_list<std::string_view> secrets);

// {"access_token":…,"expires_in":…} (OAuth 2.0, STS, metadata server).
// Without expires_in the token gets `default_lifetime` when given, else it is
// an error. Returns the token or a description of what is wrong.
std::variant<AccessToken, std::string> parse_oauth_token_response(
    std::string_view body, std::chrono::system_clock::time_point now,
    std::optional<std::chrono::seconds> default_lifetime = std::nullopt);

// Sends `request` to an endpoint that answers with an OAuth 2.0 token
// response and parses it. Errors read "STEP URL: HTTP 400 invalid_grant: …"
// with every secret redacted.
boost::asio::awaitable<std::variant<AccessToken, std::string>> request_oauth_token(
    const SourceContext& context, http_client::Request request, std::string_view step,
    std::vector<std::string> secrets,
    std::optional<std::chrono::seconds> default_lifetime = std::nullopt);

// A string member of a credential file's JSON object. Missing: "" unless
// required. Throws CredentialsConfigError when it is not a string, or required
// and missing or empty.
std::string string_field(const nlohmann::json& object, const char* name, bool required);

}  // namespace firewarden::credentials
