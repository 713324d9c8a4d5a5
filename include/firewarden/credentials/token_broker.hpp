#pragma once
// The token broker: the TokenProvider behind every upstream request.
//
// - One exchange per principal per token lifetime: tokens are cached per
//   principal ("" = the base credential, else the impersonated service
//   account) and refreshed in the background at expiry - refresh_margin.
// - Single-flight: however many requests arrive while a principal has no
//   token, one exchange runs and all of them wait for it.
// - On failure: retries with exponential backoff and jitter; the current token
//   stays in use until min_validity before its expiry, after which token()
//   answers at once with a TokenError naming the problem (the proxy maps it
//   to 503 UNAVAILABLE) and, for the base credential, ready() is false.
// - Impersonation: a principal's token is generateAccessToken(principal)
//   called with a token of the base credential that has the cloud-platform
//   scope (iam_caller_settings: a token of its own, cached like the others,
//   unless the configured scopes already include it). Every token handed out
//   for Firestore carries exactly the configured scopes.
// - Metrics: firewarden_token_refreshes_total{result,principal} and
//   firewarden_token_expiry_timestamp_seconds{principal}.
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "firewarden/credentials/clock.hpp"
#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/credentials/token_source.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::credentials {

// The provider for `settings`: static and none answer without any exchange;
// external_account, metadata and service_account_key get a broker, which
// starts fetching the base token at once. The registry behind `metrics` must
// outlive it. Reads and checks the credential file now; throws
// CredentialsConfigError naming the problem (never a secret).
std::shared_ptr<TokenProvider> make_token_provider(boost::asio::any_io_executor executor,
                                                   const Settings& settings,
                                                   const telemetry::MetricCatalogue& metrics,
                                                   std::shared_ptr<Clock> clock = system_clock());

// A broker around any base source (used by make_token_provider; tests).
// `iam_caller` makes the cloud-platform token that calls IAM Credentials for
// per-namespace impersonation; null: `base` makes that call.
std::shared_ptr<TokenProvider> make_token_broker(boost::asio::any_io_executor executor,
                                                 const Settings& settings,
                                                 std::unique_ptr<TokenSource> base,
                                                 std::unique_ptr<TokenSource> iam_caller,
                                                 SourceContext context,
                                                 const telemetry::MetricCatalogue& metrics);

// The SourceContext make_token_provider builds from settings (TLS context
// from ca_file, timeouts). Throws CredentialsConfigError for a bad ca_file.
SourceContext make_source_context(const Settings& settings, std::shared_ptr<Clock> clock);

}  // namespace firewarden::credentials
