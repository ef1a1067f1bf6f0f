#include "collector/detect/ip_address.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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


// The reference: inet_pton as the address text is read everywhere else
// (IPv4, else IPv6 with IPv4-mapped addresses unmapped).
std::optional<IpAddress> InetPton(const std::string& text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    return v4;
  }
  a.ipv6 = true;
  return a;
}

TEST(IpAddressTest, ReadsTextExactlyAsInetPton) {
  const char* const kCases[] = {"0.0.0.0",   "255.255.255.255", "256.0.0.1", "1.2.3",
                                "1.2.3.4.",  ".1.2.3.4",        "1..2.3",    "01.2.3.4",
                                "1.2.3.04",  "1.2.3.0",         "00.1.2.3",  "1.2.3.4 ",
                                " 1.2.3.4",  "1.2.3.-4",        "1.2.3.4/8", "10.0.0.25",
                                "::",        "::1",             "::ffff:1.2.3.4", "1::2::3"};
  for (const char* c : kCases) EXPECT_EQ(ParseIpAddress(c), InetPton(c)) << c;
  // Random texts over the characters addresses use, and a NUL inside.
  uint64_t state = 7;
  const char kAlphabet[] = "0123456789.....:f";
  for (int i = 0; i < 200000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    std::string text;
    const int length = static_cast<int>((state >> 59) % 17);
    for (int k = 0; k < length; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text += kAlphabet[(state >> 40) % (sizeof(kAlphabet) - 1)];
    }
    ASSERT_EQ(ParseIpAddress(text), InetPton(text)) << "'" << text << "'";
  }
  EXPECT_EQ(ParseIpAddress(std::string("10.0.0.1\0x", 10)), InetPton("10.0.0.1"));
}

TEST(IpAddressTest, CidrSetAgreesWithComparingPrefixBits) {
  uint64_t state = 11;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 32);
  };
  for (int round = 0; round < 200; ++round) {
    // A few blocks of random lengths, some of them nested or equal.
    std::vector<std::pair<uint32_t, int>> blocks;
    CidrSet set;
    const int n = 1 + static_cast<int>(next() % 4);
    for (int b = 0; b < n; ++b) {
      const int length = static_cast<int>(next() % 33);
      const uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
      const uint32_t network = (0x0a000000u | (next() & 0x00ffffffu)) & mask;
      blocks.push_back({network, length});
      char text[32];
      snprintf(text, sizeof(text), "%u.%u.%u.%u/%d", network >> 24, (network >> 16) & 255,
               (network >> 8) & 255, network & 255, length);
      set.Add(*ParseCidr(text, false));
    }
    set.Add(*ParseCidr("2001:db8::/32", false));
    for (int k = 0; k < 500; ++k) {
      const uint32_t address = k % 2 ? 0x0a000000u | (next() & 0x00ffffffu) : next();
      bool inside = false;
      for (const auto& [network, length] : blocks) {
        inside |= length == 0 || (address >> (32 - length)) == (network >> (32 - length));
      }
      IpAddress a;
      a.bytes = {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
                 static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
      ASSERT_EQ(set.Contains(a), inside) << a.ToString();
      IpAddress v6 = a;
      v6.ipv6 = true;  // the same bytes as IPv6: never an IPv4 block
      const bool in_2001_db8 = v6.bytes[0] == 0x20 && v6.bytes[1] == 0x01 &&
                               v6.bytes[2] == 0x0d && v6.bytes[3] == 0xb8;
      ASSERT_EQ(set.Contains(v6), in_2001_db8) << v6.ToString();
    }
  }
}

}  // namespace
}  // namespace cleansweep::collector
