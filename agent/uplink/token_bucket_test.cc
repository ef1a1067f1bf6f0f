// TokenBucket arithmetic with explicit times (hand-computed expectations).
#include "agent/uplink/token_bucket.h"

#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(TokenBucketTest, StartsFullAndRefillsAtRateUpToCapacity) {
  TokenBucket b(1000, 500, kT0);
  EXPECT_EQ(b.Available(kT0), 500u);
  b.Take(500);
  EXPECT_EQ(b.Available(kT0), 0u);
  EXPECT_EQ(b.Available(kT0 + absl::Milliseconds(100)), 100u);
  EXPECT_EQ(b.Available(kT0 + absl::Milliseconds(250)), 250u);
  EXPECT_EQ(b.Available(kT0 + absl::Seconds(10)), 500u);  // capped: burst is one batch
}

TEST(TokenBucketTest, ReadyAtIsWhenEnoughTokensHaveAccrued) {
  TokenBucket b(1000, 500, kT0);
  EXPECT_EQ(b.ReadyAt(500, kT0), kT0);
  b.Take(500);
  EXPECT_EQ(b.ReadyAt(200, kT0), kT0 + absl::Milliseconds(200));
  const absl::Time t = b.ReadyAt(200, kT0);
  EXPECT_EQ(b.Available(t), 200u);
  // More than capacity never becomes available; ReadyAt waits for a full bucket.
  EXPECT_EQ(b.ReadyAt(9999, t), kT0 + absl::Milliseconds(500));
}

TEST(TokenBucketTest, LongRunRateIsTheConfiguredRate) {
  // Taking whatever is available every 7 ms for 10 s: the total is the
  // initial burst plus rate × time, never more.
  TokenBucket b(333, 50, kT0);
  uint64_t sent = 0;
  absl::Time t = kT0;
  for (int i = 0; i <= 10000 / 7; ++i, t += absl::Milliseconds(7)) {
    const uint64_t n = b.Available(t);
    b.Take(n);
    sent += n;
    const double allowed = 50 + 333 * absl::ToDoubleSeconds(t - kT0);
    ASSERT_LE(static_cast<double>(sent), allowed + 1e-9) << "at " << (t - kT0);
  }
  EXPECT_GE(static_cast<double>(sent), 50 + 333 * absl::ToDoubleSeconds(t - kT0 - absl::Milliseconds(7)) - 1);
}

TEST(TokenBucketTest, ClockSteppingBackAddsNothing) {
  TokenBucket b(100, 10, kT0);
  b.Take(10);
  EXPECT_EQ(b.Available(kT0 - absl::Seconds(5)), 0u);
  EXPECT_EQ(b.Available(kT0 + absl::Milliseconds(50)), 5u);
}

TEST(TokenBucketTest, CapacityIsAtLeastOne) {
  TokenBucket b(0.5, 0, kT0);
  EXPECT_EQ(b.capacity(), 1u);
  EXPECT_EQ(b.Available(kT0), 1u);
  b.Take(1);
  EXPECT_EQ(b.ReadyAt(1, kT0), kT0 + absl::Seconds(2));
}

}  // namespace
}  // namespace cleansweep::agent
