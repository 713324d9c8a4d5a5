// Which TokenProvider a credential type gets: a fixed token for static and
// none, else a token broker around the configured source (external_account,
// metadata, service_account_key) and, where impersonation needs its own
// cloud-platform token, a second source of the same credential.
#include <fstream>
#include <iterator>

#include "firewarden/credentials/external_account.hpp"
#include "firewarden/credentials/impersonation.hpp"
#include "firewarden/credentials/metadata_server.hpp"
#include "firewarden/credentials/service_account_key.hpp"
#include "firewarden/credentials/token_broker.hpp"
#include "firewarden/credentials/token_endpoint.hpp"
#include "firewarden/net/asio.hpp"

namespace firewarden::credentials {
namespace {

using time_point = Clock::time_point;

// static and none: a fixed token (or none at all), nothing to refresh.
class FixedTokenProvider final : public TokenProvider {
 public:
  explicit FixedTokenProvider(std::string token) : token_(std::move(token)) {}

  net::awaitable<TokenResult> token(const std::string&) override { return fixed(token_); }
  bool ready() const override { return true; }
  std::vector<TokenStatus> status() const override { return {{"default", std::nullopt, ""}}; }

 private:
  static net::awaitable<TokenResult> fixed(std::string token) {
    co_return AccessToken{std::move(token), time_point::max()};
  }

  std::string token_;
};

std::string read_credential_file(const Settings& settings) {
  const auto path = credential_file(settings);
  if (path.empty()) {
    throw CredentialsConfigError(std::string("credentials.type ") +
                                 std::string(to_string(settings.type)) +
                                 " needs credentials.file or $GOOGLE_APPLICATION_CREDENTIALS");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CredentialsConfigError("credential file " + path + ": cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 1024 * 1024) {
    throw CredentialsConfigError("credential file " + path + ": larger than 1 MiB");
  }
  return text;
}

}  // namespace

SourceContext make_source_context(const Settings& settings, std::shared_ptr<Clock> clock) {
  SourceContext context;
  context.clock = std::move(clock);
  context.http.connect_timeout = settings.connect_timeout;
  context.http.total_timeout = settings.request_timeout;
  context.http.max_response_bytes = 1024 * 1024;
  try {
    context.http.tls_context = http_client::make_tls_context(settings.ca_file);
  } catch (const std::exception& e) {
    throw CredentialsConfigError(std::string("credentials: ") + e.what());
  }
  return context;
}

std::shared_ptr<TokenProvider> make_token_provider(net::any_io_executor executor,
                                                   const Settings& settings,
                                                   const telemetry::MetricCatalogue& metrics,
                                                   std::shared_ptr<Clock> clock) {
  switch (settings.type) {
    case CredentialType::none:
      return std::make_shared<FixedTokenProvider>("");
    case CredentialType::static_token:
      if (settings.token.empty()) {
        throw CredentialsConfigError("credentials.token is required for credentials.type static");
      }
      return std::make_shared<FixedTokenProvider>(settings.token);
    case CredentialType::external_account: {
      const auto text = read_credential_file(settings);
      ExternalAccountFile file;
      try {
        file = parse_external_account_file(text);
      } catch (const CredentialsConfigError& e) {
        throw CredentialsConfigError("credential file " + credential_file(settings) + ": " +
                                     e.what());
      }
      auto context = make_source_context(settings, std::move(clock));
      std::unique_ptr<TokenSource> caller;
      if (const auto caller_settings = iam_caller_settings(settings)) {
        caller = make_external_account_source(file, *caller_settings, context);
      }
      auto source = make_external_account_source(std::move(file), settings, context);
      return make_token_broker(std::move(executor), settings, std::move(source), std::move(caller),
                               std::move(context), metrics);
    }
    case CredentialType::metadata: {
      auto context = make_source_context(settings, std::move(clock));
      std::unique_ptr<TokenSource> caller;
      if (const auto caller_settings = iam_caller_settings(settings)) {
        caller = make_metadata_source(*caller_settings, context);
      }
      auto source = make_metadata_source(settings, context);
      return make_token_broker(std::move(executor), settings, std::move(source), std::move(caller),
                               std::move(context), metrics);
    }
    case CredentialType::service_account_key: {
      const auto text = read_credential_file(settings);
      auto context = make_source_context(settings, std::move(clock));
      std::unique_ptr<TokenSource> source;
      std::unique_ptr<TokenSource> caller;
      try {
        const auto file = parse_service_account_key_file(text);
        source = make_service_account_key_source(file, settings, context);
        if (const auto caller_settings = iam_caller_settings(settings)) {
          caller = make_service_account_key_source(file, *caller_settings, context);
        }
      } catch (const CredentialsConfigError& e) {
        throw CredentialsConfigError("credential file " + credential_file(settings) + ": " +
                                     e.what());
      }
      return make_token_broker(std::move(executor), settings, std::move(source), std::move(caller),
                               std::move(context), metrics);
    }
  }
  throw CredentialsConfigError("credentials: unknown credentials.type");
}

}  // namespace firewarden::credentials
