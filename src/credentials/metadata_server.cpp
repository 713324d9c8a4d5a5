#include "firewarden/credentials/metadata_server.hpp"

#include <cstdlib>

#include "firewarden/credentials/token_endpoint.hpp"

namespace firewarden::credentials {
namespace {

class MetadataSource final : public TokenSource {
 public:
  MetadataSource(std::string host, std::vector<std::string> scopes, SourceContext context)
      : host_(std::move(host)), scopes_(std::move(scopes)), context_(std::move(context)) {}

  std::string description() const override { return "metadata (server " + host_ + ")"; }

  boost::asio::awaitable<TokenResult> fetch() override {
    std::string url =
        "http://" + host_ + "/computeMetadata/v1/instance/service-accounts/default/token";
    if (!scopes_.empty()) {
      std::string joined;
      for (const auto& scope : scopes_) joined += (joined.empty() ? "" : ",") + scope;
      url += "?scopes=" + form_escape(joined);
    }
    http_client::Request request;
    request.url = url;
    // Required by the metadata server: proves the request is not a
    // redirected browser request (and refused when X-Forwarded-For is set).
    request.headers = {{"Metadata-Flavor", "Google"}};
    auto result = co_await request_oauth_token(context_, std::move(request), "token request",
                                               std::vector<std::string>{});
    if (!result.ok()) co_return TokenError{description() + ": " + result.error()};
    co_return std::move(result).value();
  }

 private:
  std::string host_;
  std::vector<std::string> scopes_;
  SourceContext context_;
};

}  // namespace

std::string metadata_host(const Settings& settings) {
  if (!settings.metadata_host.empty()) return settings.metadata_host;
  const char* from_environment = std::getenv("GCE_METADATA_HOST");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return std::string(default_metadata_host);
}

std::unique_ptr<TokenSource> make_metadata_source(const Settings& settings, SourceContext context) {
  const auto host = metadata_host(settings);
  if (!http_client::parse_url("http://" + host + "/")) {
    throw CredentialsConfigError("metadata server host \"" + host + "\" is not host[:port]");
  }
  return std::make_unique<MetadataSource>(host, settings.scopes, std::move(context));
}

}  // namespace firewarden::credentials
