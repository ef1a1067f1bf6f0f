#include "common/time_util.h"

#include "gtest/gtest.h"

namespace cleansweep {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);  // 2023-11-14T22:13:20Z

TEST(ParseTimeFlag, Rfc3339) {
  auto t = ParseTimeFlag("2023-11-14T22:13:20Z", kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, kNow);
  t = ParseTimeFlag("2023-11-14T23:13:20+01:00", kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, kNow);
}

TEST(ParseTimeFlag, DateAndUnix) {
  EXPECT_EQ(*ParseTimeFlag("2023-11-14", kNow), absl::FromUnixSeconds(1699920000));
  EXPECT_EQ(*ParseTimeFlag("@1700000000", kNow), kNow);
}

TEST(ParseTimeFlag, Ages) {
  EXPECT_EQ(*ParseTimeFlag("2h", kNow), kNow - absl::Hours(2));
  EXPECT_EQ(*ParseTimeFlag("-90m", kNow), kNow - absl::Minutes(90));
  EXPECT_EQ(*ParseTimeFlag("7d", kNow), kNow - absl::Hours(168));
}

TEST(ParseTimeFlag, RejectsGarbageWithHint) {
  auto t = ParseTimeFlag("yesterday", kNow);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("RFC 3339"), std::string::npos);
}

TEST(FormatTimeUtc, Formats) {
  EXPECT_EQ(FormatTimeUtc(kNow), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatTimeUtc(kNow + absl::Microseconds(5)), "2023-11-14T22:13:20.000005Z");
}

}  // namespace
}  // namespace cleansweep
