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
#include "firewarden/text/base64.hpp"
#include "firewarden/text/percent.hpp"

namespace firewarden::credentials {

// Form encoding and base64 are text/'s; form_decode serves the test server.
using text::base64_encode;
using text::base64url_encode;
using text::form_decode;
using text::form_encode;
using text::form_escape;
using text::FormFields;

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
boost::asio::awaitable<StepResult> request_oauth_token(
    const SourceContext& context, http_client::Request request, std::string_view step,
    std::vector<std::string> secrets,
    std::optional<std::chrono::seconds> default_lifetime = std::nullopt);

// A string member of a credential file's JSON object. Missing: "" unless
// required. Throws CredentialsConfigError when it is not a string, or required
// and missing or empty.
std::string string_field(const nlohmann::json& object, const char* name, bool required);

}  // namespace firewarden::credentials
