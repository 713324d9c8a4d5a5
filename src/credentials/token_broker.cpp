// The token broker: per-principal cache, refresh ahead of expiry,
// single-flight fetches, and the choice of source per principal (the
// configured credential, impersonation, the separate cloud-platform token
// that calls IAM Credentials). Which provider a credential type gets is
// provider_factory.cpp; when to refresh and retry, refresh_schedule.cpp.
// Just over 350 lines: the broker is one class whose cache, single-flight
// and refresh loop share one entry's state and read best together.
#include "firewarden/credentials/token_broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <map>
#include <mutex>
#include <random>

#include "firewarden/credentials/impersonation.hpp"
#include "firewarden/credentials/token_endpoint.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/telemetry/time_format.hpp"
#include "refresh_schedule.hpp"

namespace firewarden::credentials {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;
using time_point = Clock::time_point;

// The entry of the token that calls IAM Credentials for per-namespace
// impersonation, when it is not the base token (iam_caller_settings). Not a
// service account email, so no caller's principal can name it.
const std::string kIamCallerKey = "(iam caller)";

class TokenBroker final : public TokenProvider, public std::enable_shared_from_this<TokenBroker> {
 public:
  TokenBroker(net::any_io_executor executor, const Settings& settings,
              std::unique_ptr<TokenSource> base, std::unique_ptr<TokenSource> iam_caller,
              SourceContext context, const telemetry::MetricCatalogue& metrics)
      : strand_(net::make_strand(executor)),
        settings_(settings),
        base_(std::move(base)),
        iam_caller_(std::move(iam_caller)),
        context_(std::move(context)),
        refreshes_family_(metrics.token_refreshes_total),
        expiry_family_(metrics.token_expiry_timestamp_seconds),
        random_(std::random_device{}()) {}

  void start() { entry_for(""); }

  // Not a coroutine itself: the principal is copied and the broker kept alive
  // now, since the awaitable may be started after the caller's string (or the
  // caller's reference to the broker) is gone, e.g. with co_spawn.
  net::awaitable<TokenResult> token(const std::string& principal) override {
    return lookup(shared_from_this(), principal);
  }

  net::awaitable<TokenResult> lookup(std::shared_ptr<TokenBroker> /*keep_alive*/,
                                     std::string principal) {
    if (!principal.empty() && !valid_service_account_email(principal)) {
      co_return TokenError{"impersonation target \"" + principal +
                           "\" is not a service account email"};
    }
    auto entry = entry_for(principal);
    co_return co_await cached(std::move(entry));
  }

  bool ready() const override {
    std::shared_ptr<Entry> base;
    {
      std::lock_guard lock(entries_mutex_);
      auto it = entries_.find("");
      if (it == entries_.end()) return false;
      base = it->second;
    }
    std::lock_guard lock(base->mutex);
    return !stopped_ && base->current && usable(*base->current);
  }

  std::vector<TokenStatus> status() const override {
    std::vector<std::shared_ptr<Entry>> entries;
    {
      std::lock_guard lock(entries_mutex_);
      for (const auto& [principal, entry] : entries_) entries.push_back(entry);
    }
    std::vector<TokenStatus> out;
    for (const auto& entry : entries) {
      std::lock_guard lock(entry->mutex);
      TokenStatus status;
      status.principal = entry->label;
      if (entry->current) status.expires_at = entry->current->expires_at;
      status.last_error = entry->last_error;
      out.push_back(std::move(status));
    }
    return out;
  }

  void stop() override {
    if (stopped_.exchange(true)) return;
    std::vector<std::shared_ptr<Entry>> entries;
    {
      std::lock_guard lock(entries_mutex_);
      for (const auto& [principal, entry] : entries_) entries.push_back(entry);
    }
    // Signals are emitted where the loops run: on the strand.
    net::post(strand_, [entries = std::move(entries)] {
      for (const auto& entry : entries) entry->stop.emit(net::cancellation_type::terminal);
    });
  }

 private:
  struct Flight {
    explicit Flight(const net::strand<net::any_io_executor>& executor) : done(executor) {}
    // Closed when the exchange has finished: a broadcast to every waiter.
    net::experimental::concurrent_channel<void(boost::system::error_code)> done;
    TokenResult result;
  };

  struct Entry {
    // "" = the base credential, kIamCallerKey = the IAM caller, else the
    // impersonated service account.
    std::string principal;
    std::string label;  // "default", "default (cloud-platform)" or the email
    mutable std::mutex mutex;
    std::shared_ptr<const AccessToken> current;
    std::string last_error;          // of the latest attempt; empty after a success
    std::shared_ptr<Flight> flight;  // while an exchange runs
    net::cancellation_signal stop;   // used on the strand only
    telemetry::Gauge* expiry = nullptr;
    telemetry::Counter* refresh_success = nullptr;
    telemetry::Counter* refresh_failure = nullptr;
  };

  // The entry's token, from the cache or its first exchange.
  net::awaitable<TokenResult> cached(std::shared_ptr<Entry> entry) {
    if (stopped_) co_return TokenError{"credentials: shutting down"};
    std::shared_ptr<Flight> flight;
    {
      std::lock_guard lock(entry->mutex);
      if (entry->current && usable(*entry->current)) co_return *entry->current;
      // Wait for a running exchange only for the very first token, and only
      // while no attempt has failed: during an outage, or when a refresh is
      // still running as the held token falls below min_validity (a slow
      // token endpoint), answer at once (503) instead of holding requests for
      // as long as the exchange may take.
      if (!entry->flight || !entry->last_error.empty() || entry->current) {
        co_return error_for(*entry);
      }
      flight = entry->flight;
    }
    auto [ec] = co_await flight->done.async_receive(net::as_tuple(net::use_awaitable));
    if (ec == net::error::operation_aborted) {
      co_return TokenError{"credentials: request cancelled while waiting for a token"};
    }
    co_return flight->result;  // written before the channel was closed
  }

  bool usable(const AccessToken& token) const {
    return token.expires_at - settings_.min_validity > context_.clock->now();
  }

  // The source of the IAM caller's token.
  const TokenSource& caller_source() const { return iam_caller_ ? *iam_caller_ : *base_; }

  std::string kind(const Entry& entry) const {
    if (entry.principal.empty()) return base_->description();
    if (entry.principal == kIamCallerKey) {
      return iam_caller_->description() + " with scope cloud-platform";
    }
    return "impersonating " + entry.principal + " via " + caller_source().description();
  }

  TokenError error_for(const Entry& entry) const {
    if (!entry.last_error.empty()) {
      return TokenError{"no valid Google access token for " + entry.label + ": " +
                        entry.last_error};
    }
    if (entry.current) {
      return TokenError{"no valid Google access token for " + entry.label +
                        ": the held token is within min_validity of expiry and its refresh (" +
                        kind(entry) + ") has not completed"};
    }
    return TokenError{"no valid Google access token for " + entry.label + " yet (" + kind(entry) +
                      ")"};
  }

  // Finds or creates the entry; a new one starts its first exchange and
  // refresh loop right away.
  std::shared_ptr<Entry> entry_for(const std::string& principal) {
    std::shared_ptr<Entry> created;
    {
      std::lock_guard lock(entries_mutex_);
      auto& slot = entries_[principal];
      if (slot) return slot;
      slot = std::make_shared<Entry>();
      slot->principal = principal;
      slot->label = principal.empty()            ? "default"
                    : principal == kIamCallerKey ? "default (cloud-platform)"
                                                 : principal;
      // Principals are the base credential and the policy's impersonation
      // targets: a label bounded by the configuration.
      slot->expiry = &expiry_family_.with({slot->label});
      slot->refresh_success = &refreshes_family_.with({"success", slot->label});
      slot->refresh_failure = &refreshes_family_.with({"failure", slot->label});
      slot->flight = std::make_shared<Flight>(strand_);
      created = slot;
    }
    // Outside the lock: co_spawn may run the loop inline on this thread.
    net::co_spawn(strand_, refresh_loop(created),
                  net::bind_cancellation_slot(created->stop.slot(), net::detached));
    return created;
  }

  net::awaitable<TokenResult> exchange(const Entry& entry) {
    if (entry.principal.empty()) co_return co_await base_->fetch();
    if (entry.principal == kIamCallerKey) co_return co_await iam_caller_->fetch();
    // generateAccessToken is called with a cloud-platform token, never sent
    // to Firestore; the token it returns carries exactly `scopes`. (The
    // entry is named outside the co_await: GCC 12 destroys a temporary of ?:
    // inside one twice.)
    auto caller = entry_for(iam_caller_ ? kIamCallerKey : std::string());
    auto base = co_await cached(std::move(caller));
    if (auto* error = std::get_if<TokenError>(&base)) {
      co_return TokenError{"impersonating " + entry.principal +
                           ": no base token: " + error->message};
    }
    const auto& base_token = std::get<AccessToken>(base).value;
    const auto url = generate_access_token_url(settings_.iam_credentials_endpoint.empty()
                                                   ? default_iam_credentials_endpoint
                                                   : settings_.iam_credentials_endpoint,
                                               entry.principal);
    auto result = co_await generate_access_token(context_, url, base_token, settings_.scopes,
                                                 settings_.token_lifetime);
    if (!result.ok()) {
      co_return TokenError{"impersonating " + entry.principal + " (base " +
                           caller_source().description() +
                           "): " + redact(result.error(), {base_token})};
    }
    co_return std::move(result).value();
  }

  net::awaitable<void> refresh_loop(std::shared_ptr<Entry> entry) {
    auto self = shared_from_this();
    co_await net::this_coro::throw_if_cancelled(false);
    int failures = 0;
    while (!stopped_) {
      std::shared_ptr<Flight> flight;
      {
        std::lock_guard lock(entry->mutex);
        if (!entry->flight) entry->flight = std::make_shared<Flight>(strand_);
        flight = entry->flight;
      }
      TokenResult result;
      try {
        result = co_await exchange(*entry);
      } catch (const std::exception& e) {
        result = TokenError{kind(*entry) + ": unexpected error: " + e.what()};
      }
      const auto now = context_.clock->now();
      if (auto* token = std::get_if<AccessToken>(&result); token && !usable(*token)) {
        result = TokenError{kind(*entry) + ": the token endpoint returned a token valid for only " +
                            seconds_text(token->expires_at - now) + " (min_validity " +
                            seconds_text(settings_.min_validity) + ")"};
      }
      time_point next;
      if (auto* token = std::get_if<AccessToken>(&result)) {
        failures = 0;
        entry->refresh_success->increment();
        entry->expiry->set(epoch_seconds(token->expires_at));
        next = refresh_time(*token, now, settings_);
        {
          std::lock_guard lock(entry->mutex);
          entry->current = std::make_shared<const AccessToken>(*token);
          entry->last_error.clear();
          entry->flight.reset();
        }
        spdlog::info("credentials: new token for {} ({}), expires {}, next refresh in {}",
                     entry->label, kind(*entry), telemetry::format_rfc3339(token->expires_at),
                     seconds_text(next - now));
      } else {
        ++failures;
        entry->refresh_failure->increment();
        // A copy: `result` is overwritten below.
        const std::string message = std::get<TokenError>(result).message;
        const auto delay = retry_delay(failures, settings_, random_);
        next = now + delay;
        bool still_usable = false;
        {
          std::lock_guard lock(entry->mutex);
          entry->last_error = message;
          entry->flight.reset();
          still_usable = entry->current && usable(*entry->current);
          // Waiters get the still-usable token rather than the error.
          if (still_usable) result = *entry->current;
        }
        spdlog::warn(
            "credentials: token refresh for {} failed (attempt {}): {}; {}; retrying in {}",
            entry->label, failures, message,
            still_usable ? "the current token stays in use" : "no usable token",
            seconds_text(delay));
      }
      flight->result = std::move(result);
      flight->done.close();
      if (stopped_) break;
      const auto ec = co_await context_.clock->sleep_until(next);
      if (ec) break;
    }
    std::lock_guard lock(entry->mutex);
    if (entry->flight) {
      entry->flight->result = TokenError{"credentials: shutting down"};
      entry->flight->done.close();
      entry->flight.reset();
    }
  }

  net::strand<net::any_io_executor> strand_;
  Settings settings_;
  std::unique_ptr<TokenSource> base_;
  std::unique_ptr<TokenSource> iam_caller_;  // null: base_ calls IAM Credentials
  SourceContext context_;
  telemetry::Family<telemetry::Counter>& refreshes_family_;
  telemetry::Family<telemetry::Gauge>& expiry_family_;
  std::mt19937_64 random_;  // used on the strand only
  std::atomic<bool> stopped_{false};
  mutable std::mutex entries_mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace

std::shared_ptr<TokenProvider> make_token_broker(net::any_io_executor executor,
                                                 const Settings& settings,
                                                 std::unique_ptr<TokenSource> base,
                                                 std::unique_ptr<TokenSource> iam_caller,
                                                 SourceContext context,
                                                 const telemetry::MetricCatalogue& metrics) {
  if (settings.refresh_margin <= settings.min_validity) {
    throw CredentialsConfigError("credentials.refresh_margin (" +
                                 seconds_text(settings.refresh_margin) +
                                 ") must be longer than credentials.min_validity (" +
                                 seconds_text(settings.min_validity) + ")");
  }
  if (settings.backoff_initial <= Clock::duration::zero() ||
      settings.backoff_max < settings.backoff_initial) {
    throw CredentialsConfigError("credentials: invalid retry backoff");
  }
  if (settings.token_lifetime < seconds(1)) {
    throw CredentialsConfigError("credentials.token_lifetime must be at least 1s");
  }
  auto broker = std::make_shared<TokenBroker>(std::move(executor), settings, std::move(base),
                                              std::move(iam_caller), std::move(context), metrics);
  broker->start();
  return broker;
}

}  // namespace firewarden::credentials
