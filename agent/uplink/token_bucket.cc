#include "agent/uplink/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace cleansweep::agent {

TokenBucket::TokenBucket(double rate, uint64_t capacity, absl::Time now)
    : rate_(rate),
      capacity_(std::max<uint64_t>(1, capacity)),
      tokens_(static_cast<double>(capacity_)),
      last_(now) {}

void TokenBucket::Refill(absl::Time now) {
  // A clock that steps back adds nothing (and takes nothing away).
  if (now > last_) {
    tokens_ = std::min(static_cast<double>(capacity_),
                       tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
}

uint64_t TokenBucket::Available(absl::Time now) {
  Refill(now);
  return static_cast<uint64_t>(std::floor(std::max(0.0, tokens_)));
}

void TokenBucket::Take(uint64_t n) { tokens_ -= static_cast<double>(n); }

absl::Time TokenBucket::ReadyAt(uint64_t n, absl::Time now) {
  Refill(now);
  const double need = static_cast<double>(std::min(n, capacity_)) - tokens_;
  if (need <= 0) return now;
  // Rounded up to the microsecond so that at the returned time the tokens
  // are really there (no wake-up one rounding error too early).
  return now + absl::Microseconds(static_cast<int64_t>(std::ceil(need / rate_ * 1e6)));
}

}  // namespace cleansweep::agent
