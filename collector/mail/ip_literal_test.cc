#include "collector/mail/ip_literal.h"

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

std::string Text(absl::string_view literal) {
  std::optional<IpAddress> ip = ParseIpLiteral(literal);
  return ip ? ip->ToString() : "none";
}

TEST(IpLiteralTest, Forms) {
  EXPECT_EQ(Text("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(Text("[192.0.2.1]"), "192.0.2.1");
  EXPECT_EQ(Text("(192.0.2.1)"), "192.0.2.1");
  EXPECT_EQ(Text("[192.0.2.222:222]"), "192.0.2.222");
  // Zero padding is decimal, never octal: 010 is ten, 011 eleven.
  EXPECT_EQ(Text("[010.001.002.003]"), "10.1.2.3");
  EXPECT_EQ(Text("011.000.000.099"), "11.0.0.99");
  EXPECT_EQ(Text("[IPv6:2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(Text("[ipv6:2001:DB8:0:0:0:0:0:1]"), "2001:db8::1");
  EXPECT_EQ(Text("fe80::1%eth0"), "fe80::1");
  EXPECT_EQ(Text("::ffff:10.0.0.7"), "10.0.0.7");
}

TEST(IpLiteralTest, Refused) {
  for (const char* bad :
       {"", "[]", "unknown", "mail.example.com", "256.1.1.1", "1.2.3", "1.2.3.4.5",
        "1.2.3.4:", "1.2.3.4:123456", "0001.2.3.4", "[localhost]", "1.2.3.-4", "2001:db8::g"}) {
    EXPECT_EQ(Text(bad), "none") << bad;
  }
}

TEST(IpLiteralTest, PrivateAddresses) {
  for (const char* p : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.1.1", "100.64.0.1", "::1", "fd00::1", "fe80::1"}) {
    EXPECT_TRUE(IsPrivateAddress(*ParseIpLiteral(p))) << p;
  }
  for (const char* p : {"192.0.2.1", "172.32.0.1", "100.128.0.1", "8.8.8.8", "2001:db8::1"}) {
    EXPECT_FALSE(IsPrivateAddress(*ParseIpLiteral(p))) << p;
  }
}

}  // namespace
}  // namespace cleansweep::collector::mail
