#include "collector/detect/ip_address.h"

#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

CidrSet SetOf(std::initializer_list<const char*> blocks) {
  CidrSet set;
  for (const char* b : blocks) set.Add(*ParseCidr(b, true));
  return set;
}

TEST(IpAddressTest, ParsesBothFamiliesAndUnmapsIpv4MappedAddresses) {
  EXPECT_EQ(ParseIpAddress("10.0.0.7")->ToString(), "10.0.0.7");
  EXPECT_EQ(ParseIpAddress("2001:DB8:0:0::7")->ToString(), "2001:db8::7");
  EXPECT_FALSE(ParseIpAddress("::ffff:10.0.0.7")->ipv6);
  EXPECT_EQ(ParseIpAddress("::ffff:10.0.0.7")->ToString(), "10.0.0.7");
  EXPECT_FALSE(ParseIpAddress("").has_value());
  EXPECT_FALSE(ParseIpAddress("10.0.0").has_value());
  EXPECT_FALSE(ParseIpAddress("host.example").has_value());
  EXPECT_FALSE(ParseIpAddress(std::string(100, '1')).has_value());
}

TEST(IpAddressTest, CidrSetMatchesOnPrefixBoundaries) {
  CidrSet set = SetOf({"10.0.0.0/8", "192.168.1.128/25", "2001:db8:20::/48", "203.0.113.5"});
  EXPECT_TRUE(set.Contains(*ParseIpAddress("10.255.255.255")));
  EXPECT_FALSE(set.Contains(*ParseIpAddress("11.0.0.0")));
  EXPECT_TRUE(set.Contains(*ParseIpAddress("192.168.1.128")));
  EXPECT_FALSE(set.Contains(*ParseIpAddress("192.168.1.127")));
  EXPECT_TRUE(set.Contains(*ParseIpAddress("203.0.113.5")));
  EXPECT_FALSE(set.Contains(*ParseIpAddress("203.0.113.6")));
  EXPECT_TRUE(set.Contains(*ParseIpAddress("2001:db8:20:ffff::1")));
  EXPECT_FALSE(set.Contains(*ParseIpAddress("2001:db8:21::1")));
  // Families never mix: ::a00:7 is not 10.0.0.7.
  EXPECT_FALSE(set.Contains(*ParseIpAddress("::a00:7")));
  EXPECT_FALSE(CidrSet().Contains(*ParseIpAddress("10.0.0.1")));
}

}  // namespace
}  // namespace cleansweep::collector
