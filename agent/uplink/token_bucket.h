// TokenBucket: limits how many events per second the uplink writes to the
// collector stream, so that a backlog (after an outage, from the spool) drains
// at a configured rate instead of all at once. A fleet coming back together
// then offers the collector at most fleet size × rate.
//
// Starts full: `capacity` tokens (the largest burst, one batch), refilled at
// `rate` per second up to `capacity`. Time is passed in, so the arithmetic is
// testable without clocks. Not thread-safe (the uplink's connection thread
// owns it).
#ifndef CLEANSWEEP_AGENT_UPLINK_TOKEN_BUCKET_H_
#define CLEANSWEEP_AGENT_UPLINK_TOKEN_BUCKET_H_

#include <cstdint>

#include "absl/time/time.h"

namespace cleansweep::agent {

class TokenBucket {
 public:
  // rate > 0 events per second; capacity >= 1.
  TokenBucket(double rate, uint64_t capacity, absl::Time now);

  // Whole tokens available at `now` (refills first).
  uint64_t Available(absl::Time now);
  // Takes `n` tokens; callers take at most Available().
  void Take(uint64_t n);
  // The earliest time at which `n` (<= capacity) tokens are available; `now`
  // if they already are.
  absl::Time ReadyAt(uint64_t n, absl::Time now);

  double rate() const { return rate_; }
  uint64_t capacity() const { return capacity_; }

 private:
  void Refill(absl::Time now);

  const double rate_;
  const uint64_t capacity_;
  double tokens_;
  absl::Time last_;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_UPLINK_TOKEN_BUCKET_H_
