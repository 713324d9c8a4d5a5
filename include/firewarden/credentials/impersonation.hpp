#pragma once
// Service account impersonation through the IAM Credentials API:
// projects.serviceAccounts.generateAccessToken, POST
// …/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken with
// Authorization: Bearer <base token> and {"scope":[…],"lifetime":"3600s"};
// the answer is {"accessToken":…,"expireTime":RFC 3339}.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/credentials/token_source.hpp"

namespace firewarden::credentials {

// A Google service account email as it may appear in a URL path: local part
// and domain of [A-Za-z0-9._-] (what IAM allows), nothing else.
bool valid_service_account_email(std::string_view email);

// BASE/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken ("-": the
// project is inferred from the account, as Google documents).
std::string generate_access_token_url(std::string_view base, std::string_view email);

// The token, or a description of what failed (endpoint, HTTP status, error),
// with the base token redacted should the endpoint echo it.
boost::asio::awaitable<StepResult> generate_access_token(const SourceContext& context,
                                                         const std::string& url,
                                                         const std::string& base_token,
                                                         const std::vector<std::string>& scopes,
                                                         std::chrono::seconds lifetime);

}  // namespace firewarden::credentials
