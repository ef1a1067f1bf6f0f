// Expected values are written by hand from inet_ntop(3)'s documented output
// (RFC 5952 form for IPv6) and the limits in host_facts.h.
#include "collector/store/host_facts.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::HostFacts;
using cleansweep::v1::NetworkInterface;
using ::testing::HasSubstr;

HostFacts OneInterface(const std::string& mac, std::vector<std::string> addresses) {
  HostFacts f;
  f.set_hostname("ws1");
  NetworkInterface* i = f.add_interfaces();
  i->set_name("eth0");
  i->set_mac(mac);
  for (const std::string& a : addresses) i->add_addresses(a);
  return f;
}

// The refusal's message, or "ok" when it was accepted.
std::string Refusal(const HostFacts& f) {
  absl::StatusOr<HostFacts> n = NormalizeHostFacts(f);
  if (n.ok()) return "ok";
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(n.status().message());
}

TEST(HostFactsTest, NormalFormLowersMacAndCanonicalizesAddresses) {
  HostFacts f = OneInterface("00:1A:2b:3C:4d:5E",
                             {"10.0.0.7", "2001:DB8:0:0::7", "2001:db8::7", "::ffff:10.0.0.1"});
  f.set_os("Debian GNU/Linux 12 (bookworm)");
  f.set_kernel("6.1.0-13-amd64");
  f.mutable_time()->set_seconds(1'800'000'000);
  f.mutable_interfaces(0)->set_up(true);
  absl::StatusOr<HostFacts> n = NormalizeHostFacts(f);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->hostname(), "ws1");
  EXPECT_EQ(n->os(), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(n->kernel(), "6.1.0-13-amd64");
  EXPECT_EQ(n->time().seconds(), 1'800'000'000);
  ASSERT_EQ(n->interfaces_size(), 1);
  EXPECT_EQ(n->interfaces(0).name(), "eth0");
  EXPECT_TRUE(n->interfaces(0).up());
  EXPECT_EQ(n->interfaces(0).mac(), "00:1a:2b:3c:4d:5e");
  // "2001:DB8:0:0::7" and "2001:db8::7" are one address, kept once.
  EXPECT_THAT(n->interfaces(0).addresses(),
              ::testing::ElementsAre("10.0.0.7", "2001:db8::7", "::ffff:10.0.0.1"));
}

TEST(HostFactsTest, EmptyFactsAndInterfaceWithoutMacAreAccepted) {
  EXPECT_EQ(Refusal(HostFacts()), "ok");
  EXPECT_EQ(Refusal(OneInterface("", {})), "ok");
}

TEST(HostFactsTest, TextFieldsAreBoundedAndPrintable) {
  HostFacts f;
  f.set_hostname(std::string(255, 'h'));
  EXPECT_EQ(Refusal(f), "ok");
  f.set_hostname(std::string(256, 'h'));
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.hostname"));
  f.set_hostname("ws1\n");
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.hostname"));
  f.set_hostname("ws1");
  f.set_os(std::string(257, 'o'));
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.os"));
  f.set_os("Linux");
  f.set_kernel(std::string("6.1\x01", 4));
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.kernel"));
  f.set_kernel("6.1");
  f.add_interfaces()->set_name("eth0");
  f.add_interfaces()->set_name("");
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.interfaces[1].name"));
  f.mutable_interfaces(1)->set_name(std::string(129, 'i'));
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.interfaces[1].name"));
  f.mutable_interfaces(1)->set_name(std::string(128, 'i'));
  EXPECT_EQ(Refusal(f), "ok");
}

TEST(HostFactsTest, MacFormat) {
  EXPECT_EQ(Refusal(OneInterface("00:11:22:33:44:55", {})), "ok");
  // EUI-64 (8 octets) and IPoIB (20 octets).
  EXPECT_EQ(Refusal(OneInterface("00:11:22:33:44:55:66:77", {})), "ok");
  EXPECT_EQ(
      Refusal(OneInterface("80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0e:6b:71", {})),
      "ok");
  for (const char* bad : {"00:11:22:33:44", "00-11-22-33-44-55", "0:11:22:33:44:55",
                          "00:11:22:33:44:5g", "00:11:22:33:44:55:", "001122334455",
                          "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44"}) {
    EXPECT_THAT(Refusal(OneInterface(bad, {})), HasSubstr("HostFacts.interfaces[0].mac")) << bad;
  }
}

TEST(HostFactsTest, AddressesMustParse) {
  for (const char* bad : {"10.0.0.256", "10.0.0.7/24", "fe80::1%eth0", "", "ws1.example", "1.2.3",
                          "2001:db8::7::1", " 10.0.0.7"}) {
    EXPECT_THAT(Refusal(OneInterface("", {"10.0.0.1", bad})),
                HasSubstr("HostFacts.interfaces[0].addresses[1]"))
        << bad;
  }
}

TEST(HostFactsTest, CountsAreBounded) {
  // 64 addresses on one interface is the limit, 65 is refused.
  std::vector<std::string> addresses;
  for (int i = 0; i < 64; ++i) addresses.push_back(absl::StrCat("10.0.0.", i));
  EXPECT_EQ(Refusal(OneInterface("", addresses)), "ok");
  addresses.push_back("10.0.1.1");
  EXPECT_THAT(Refusal(OneInterface("", addresses)), HasSubstr("HostFacts.interfaces[0].addresses"));

  // 16 interfaces of 64 addresses = 1024 in all is accepted; one more is not.
  HostFacts f;
  for (int i = 0; i < 16; ++i) {
    NetworkInterface* n = f.add_interfaces();
    n->set_name(absl::StrCat("eth", i));
    for (int j = 0; j < 64; ++j) n->add_addresses(absl::StrCat("10.", i, ".0.", j));
  }
  EXPECT_EQ(Refusal(f), "ok");
  NetworkInterface* extra = f.add_interfaces();
  extra->set_name("eth16");
  extra->add_addresses("10.16.0.1");
  EXPECT_THAT(Refusal(f), HasSubstr("1024"));

  HostFacts many;
  for (int i = 0; i < 256; ++i) many.add_interfaces()->set_name(absl::StrCat("veth", i));
  EXPECT_EQ(Refusal(many), "ok");
  many.add_interfaces()->set_name("veth256");
  EXPECT_THAT(Refusal(many), HasSubstr("HostFacts.interfaces"));
}

TEST(HostFactsTest, TimeMustBeAValidTimestamp) {
  HostFacts f;
  f.mutable_time()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  f.mutable_time()->set_nanos(999999999);
  EXPECT_EQ(Refusal(f), "ok");
  f.mutable_time()->set_seconds(253402300800);
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.time"));
  f.mutable_time()->set_seconds(0);
  f.mutable_time()->set_nanos(-1);
  EXPECT_THAT(Refusal(f), HasSubstr("HostFacts.time"));
}

TEST(HostFactsTest, CanonicalIpAddressAndLoopback) {
  EXPECT_EQ(*CanonicalIpAddress("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(*CanonicalIpAddress("2001:0db8:0000:0000:0000:0000:0000:0007"), "2001:db8::7");
  EXPECT_EQ(*CanonicalIpAddress("FE80::0:1"), "fe80::1");
  EXPECT_FALSE(CanonicalIpAddress("192.0.2.7:25").ok());
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_FALSE(IsLoopbackAddress("10.127.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("::11"));
}

}  // namespace
}  // namespace cleansweep::collector
