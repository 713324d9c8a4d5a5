#pragma once
// When the token broker refreshes a token, how long it waits after a failed
// exchange, and how its messages write durations. Pure functions of the
// settings (the jitter draws from the caller's generator).
#include <random>
#include <string>

#include "firewarden/credentials/clock.hpp"
#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_provider.hpp"

namespace firewarden::credentials {

// "300s", "0.25s": durations in messages.
std::string seconds_text(Clock::duration d);

// Unix time in seconds (with milliseconds), for the expiry gauge.
double epoch_seconds(Clock::time_point when);

// When to refresh a fresh token: refresh_margin before expiry; for tokens
// shorter-lived than the margin, halfway through their usable time, and
// never sooner than a second from now (no hot loop on odd answers).
Clock::time_point refresh_time(const AccessToken& token, Clock::time_point now,
                               const Settings& settings);

// Exponential from backoff_initial, capped at backoff_max, jittered to
// [d/2, d] so many proxies do not retry in step.
Clock::duration retry_delay(int failures, const Settings& settings, std::mt19937_64& random);

}  // namespace firewarden::credentials
