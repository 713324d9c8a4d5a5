#include "firewarden/credentials/token_endpoint.hpp"

#include <catch2/catch.hpp>

#include "firewarden/telemetry/time_format.hpp"

using namespace firewarden::credentials;

TEST_CASE("form encoding follows application/x-www-form-urlencoded") {
  CHECK(form_escape("a b+c/d:e~f*-._") == "a+b%2Bc%2Fd%3Ae%7Ef*-._");
  CHECK(form_encode({{"grant_type", "urn:x:y"}, {"scope", "a b"}}) ==
        "grant_type=urn%3Ax%3Ay&scope=a+b");
  const auto decoded = form_decode("a=1+2&b=%2F%zz");
  CHECK_FALSE(decoded.has_value());
  const auto ok = form_decode("a=1+2&b=%2Fx&c");
  REQUIRE(ok.has_value());
  CHECK(*ok == FormFields{{"a", "1 2"}, {"b", "/x"}, {"c", ""}});
}

TEST_CASE("base64 and base64url") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("id:secret") == "aWQ6c2VjcmV0");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_encode(R"({"alg":"RS256"})") == "eyJhbGciOiJSUzI1NiJ9");
}

TEST_CASE("RFC 3339 times as IAM Credentials writes them") {
  using namespace std::chrono;
  const auto base = sys_days{year{2014} / 10 / 2} + 15h + 1min + 23s;
  CHECK(parse_rfc3339("2014-10-02T15:01:23Z") == base);
  CHECK(parse_rfc3339("2014-10-02T15:01:23.045123456Z") == base + 45123456ns);
  CHECK(parse_rfc3339("2014-10-02T17:01:23+02:00") == base);
  CHECK(parse_rfc3339("2014-10-02T14:31:23.5-00:30") == base + 500ms);
  for (const char* bad :
       {"", "2014-10-02", "2014-10-02T15:01:23", "2014-13-02T15:01:23Z", "2014-02-30T15:01:23Z",
        "2014-10-02T15:01:23.Z", "2014-10-02T15:01:23Zx", "2014-10-02 15:01:23Z"}) {
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
  CHECK(firewarden::telemetry::format_rfc3339(base + 999ms) == "2014-10-02T15:01:23Z");
}

TEST_CASE("error responses are described by status and error, cleaned") {
  using firewarden::http_client::Response;
  CHECK(describe_error_response(Response{
            400,
            {},
            R"({"error":"invalid_grant","error_description":"The audience does not match"})"}) ==
        "HTTP 400 invalid_grant: The audience does not match");
  CHECK(
      describe_error_response(Response{
          403,
          {},
          R"({"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}})"}) ==
      "HTTP 403 PERMISSION_DENIED: Permission denied");
  CHECK(describe_error_response(Response{502, {}, "bad\ngateway"}) == "HTTP 502: bad gateway");
  CHECK(describe_error_response(Response{500, {}, ""}) == "HTTP 500");
  CHECK(describe_error_response(Response{500, {}, std::string(1000, 'x')}).size() < 260);
}

TEST_CASE("redact replaces every occurrence of each secret") {
  CHECK(redact("token abcd and abcd", {"abcd"}) == "token [redacted] and [redacted]");
  CHECK(redact("short abc stays", {"abc", ""}) == "short abc stays");
}

TEST_CASE("OAuth 2.0 token responses") {
  const auto now = std::chrono::system_clock::now();
  const auto ok = parse_oauth_token_response(
      R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})", now);
  REQUIRE(std::holds_alternative<AccessToken>(ok));
  CHECK(std::get<AccessToken>(ok).value == "ya29.x");
  CHECK(std::get<AccessToken>(ok).expires_at == now + std::chrono::seconds(3599));

  const auto error = [&](std::string_view body) {
    const auto result = parse_oauth_token_response(body, now);
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
  };
  CHECK(error("{") == "response is not a JSON object");
  CHECK(error(R"({"expires_in":10})") == "response has no access_token");
  CHECK(error(R"({"access_token":"x"})") == "response has no expires_in");
  CHECK(error(R"({"access_token":"x","expires_in":-5})") == "response has an invalid expires_in");
  const auto defaulted =
      parse_oauth_token_response(R"({"access_token":"x"})", now, std::chrono::seconds(60));
  CHECK(std::get<AccessToken>(defaulted).expires_at == now + std::chrono::seconds(60));
}
