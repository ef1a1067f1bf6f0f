#include "collector/web/refreshing_cache.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795780800);

// The loader returns the clock's time, so a value tells when it was built.
class RefreshingCacheTest : public ::testing::Test {
 protected:
  std::atomic<absl::Time> now_{kNow};
  std::atomic<int> loads_{0};
  std::atomic<bool> fail_{false};
  std::atomic<bool> hold_{false};     // the next loads wait while set
  std::atomic<bool> holding_{false};  // a load is waiting
  RefreshingCache<absl::Time> cache_{
      [this]() -> absl::StatusOr<absl::Time> {
        ++loads_;
        while (hold_) {
          holding_ = true;
          std::this_thread::yield();
        }
        holding_ = false;
        if (fail_) return absl::UnavailableError("disk gone");
        return now_.load();
      },
      [this] { return now_.load(); }, absl::Seconds(5)};
};

TEST_F(RefreshingCacheTest, FirstCallBuildsThenAYoungValueIsReused) {
  auto first = cache_.Get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(**first, kNow);
  now_ = kNow + absl::Seconds(4);
  EXPECT_EQ(**cache_.Get(), kNow);
  cache_.WaitIdle();
  EXPECT_EQ(loads_, 1);
}

TEST_F(RefreshingCacheTest, AnOldValueIsReturnedAtOnceAndRebuiltBehind) {
  ASSERT_TRUE(cache_.Get().ok());
  now_ = kNow + absl::Seconds(5);
  hold_ = true;
  auto during = cache_.Get();  // starts the rebuild, does not wait for it
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(**during, kNow);
  while (!holding_) std::this_thread::yield();
  EXPECT_EQ(**cache_.Get(), kNow);  // still the old one; no second rebuild
  hold_ = false;
  cache_.WaitIdle();
  EXPECT_EQ(loads_, 2);
  EXPECT_EQ(**cache_.Get(), kNow + absl::Seconds(5));
}

TEST_F(RefreshingCacheTest, ErrorsOnlyWithoutAValue) {
  fail_ = true;
  EXPECT_TRUE(absl::IsUnavailable(cache_.Get().status()));
  fail_ = false;
  ASSERT_TRUE(cache_.Get().ok());  // tried again
  fail_ = true;
  now_ = kNow + absl::Minutes(1);
  ASSERT_TRUE(cache_.Get().ok());
  cache_.WaitIdle();
  auto kept = cache_.Get();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(**kept, kNow);  // the failed rebuild kept the last good value
}

}  // namespace
}  // namespace cleansweep::collector::web
