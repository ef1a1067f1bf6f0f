#include "collector/rules/cidr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;

TEST(CidrTest, ParsesIpv4AndIpv6Blocks) {
  absl::StatusOr<Cidr> v4 = ParseCidr("10.0.0.0/8", false);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_FALSE(v4->ipv6);
  EXPECT_EQ(v4->prefix, 8);
  EXPECT_EQ(v4->ToString(), "10.0.0.0/8");
  absl::StatusOr<Cidr> v6 = ParseCidr("2001:db8::/32", false);
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->ToString(), "2001:db8::/32");
  EXPECT_TRUE(ParseCidr("0.0.0.0/0", false).ok());
  EXPECT_TRUE(ParseCidr("::/0", false).ok());
}

TEST(CidrTest, BareAddressOnlyWhenAllowed) {
  absl::StatusOr<Cidr> a = ParseCidr("192.0.2.25", true);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->prefix, 32);
  EXPECT_EQ(ParseCidr("2001:db8::1", true)->prefix, 128);
  absl::StatusOr<Cidr> refused = ParseCidr("192.0.2.25", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("no prefix length"));
}

TEST(CidrTest, RefusesBadText) {
  for (const char* bad : {"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8x", "10.0.0/8", "300.0.0.0/8", "hello", "", "10.0.0.0/0008",
                          "1.2.3.4/ 8"}) {
    absl::StatusOr<Cidr> c = ParseCidr(bad, true);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_THAT(c.status().message(), HasSubstr(std::string("'") + bad)) << bad;
    }
  }
  EXPECT_FALSE(ParseCidr(std::string(10000, '1'), true).ok());
}

TEST(CidrTest, RefusesHostBits) {
  absl::StatusOr<Cidr> c = ParseCidr("10.1.2.3/8", false);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("host bits"));
  EXPECT_FALSE(ParseCidr("2001:db8::1/64", false).ok());
  EXPECT_TRUE(ParseCidr("10.1.0.0/16", false).ok());
}

TEST(CidrTest, Contains) {
  Cidr net = *ParseCidr("10.0.0.0/8", false);
  EXPECT_TRUE(net.Contains(*ParseCidr("10.255.1.2", true)));
  EXPECT_TRUE(net.Contains(*ParseCidr("10.1.0.0/16", false)));
  EXPECT_FALSE(net.Contains(*ParseCidr("11.0.0.1", true)));
  EXPECT_FALSE(net.Contains(*ParseCidr("0.0.0.0/0", false)));  // wider than net
  EXPECT_FALSE(net.Contains(*ParseCidr("::ffff:10.0.0.1", true)));  // other family
  Cidr v6 = *ParseCidr("2001:db8:10::/48", false);
  EXPECT_TRUE(v6.Contains(*ParseCidr("2001:db8:10::25", true)));
  EXPECT_FALSE(v6.Contains(*ParseCidr("2001:db8:11::25", true)));
  EXPECT_TRUE(ParseCidr("0.0.0.0/0", false)->Contains(*ParseCidr("8.8.8.8", true)));
}

}  // namespace
}  // namespace cleansweep::collector
