#include "refresh_schedule.hpp"

#include <algorithm>

namespace firewarden::credentials {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string seconds_text(Clock::duration d) {
  const auto ms = duration_cast<milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  std::string fraction = std::to_string(1000 + (ms < 0 ? -ms : ms) % 1000).substr(1);
  while (fraction.back() == '0') fraction.pop_back();
  return (ms < 0 && ms > -1000 ? "-" : "") + std::to_string(ms / 1000) + "." + fraction + "s";
}

double epoch_seconds(Clock::time_point when) {
  return static_cast<double>(duration_cast<milliseconds>(when.time_since_epoch()).count()) / 1000;
}

Clock::time_point refresh_time(const AccessToken& token, Clock::time_point now,
                               const Settings& settings) {
  auto at = token.expires_at - settings.refresh_margin;
  if (at < now + seconds(1)) {
    const auto usable_for = token.expires_at - settings.min_validity - now;
    at = now + std::max<Clock::duration>(seconds(1), usable_for / 2);
  }
  return at;
}

Clock::duration retry_delay(int failures, const Settings& settings, std::mt19937_64& random) {
  auto delay = duration_cast<milliseconds>(settings.backoff_initial);
  for (int i = 1; i < failures && delay < settings.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, duration_cast<milliseconds>(settings.backoff_max));
  std::uniform_int_distribution<long long> jitter(delay.count() / 2, delay.count());
  return milliseconds(std::max<long long>(1, jitter(random)));
}

}  // namespace firewarden::credentials
