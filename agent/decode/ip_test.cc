#include "agent/decode/ip.h"

#include "agent/decode/test_frames.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::agent::testing::Hex;
using ::cleansweep::agent::testing::Ipv4TcpPacket;

TEST(IpTest, Ipv4FieldsAndPayloadBounds) {
  const auto pkt = Ipv4TcpPacket();
  IpLayer ip;
  const LayerResult r = DecodeIpv4(pkt, &ip);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.counter, nullptr);
  EXPECT_EQ(ip.src, IpAddress::V4(10, 10, 1, 4));
  EXPECT_EQ(ip.dst, IpAddress::V4(74, 53, 140, 153));
  EXPECT_EQ(ip.proto, 6);
  EXPECT_EQ(ip.payload.data(), pkt.data() + 20);
  EXPECT_EQ(ip.payload.size(), 28u);
  EXPECT_FALSE(ip.capture_truncated);
}

TEST(IpTest, Ipv4CaptureTruncationFlagged) {
  const auto pkt = Ipv4TcpPacket();
  IpLayer ip;
  ASSERT_TRUE(DecodeIpv4(absl::MakeConstSpan(pkt.data(), 30), &ip).ok());
  EXPECT_TRUE(ip.capture_truncated);
  EXPECT_EQ(ip.payload.size(), 10u);
}

TEST(IpTest, Ipv4OtherProtocolStillOk) {
  // GRE (47): the IP layer decodes, the caller decides to ignore it.
  const auto pkt = Hex({"45 00 00 18  00 00 00 00  40 2f 00 00  01 02 03 04  05 06 07 08",
                        "00 00 08 00"});
  IpLayer ip;
  ASSERT_TRUE(DecodeIpv4(pkt, &ip).ok());
  EXPECT_EQ(ip.proto, 47);
  EXPECT_EQ(ip.payload.size(), 4u);
}

TEST(IpTest, Ipv6ZeroPayloadLengthUsesCapture) {
  const auto pkt = Hex({"60 00 00 00  00 00 11 40",
                        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01",
                        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01",
                        "00 35 00 35 00 08 00 00"});
  IpLayer ip;
  const LayerResult r = DecodeIpv6(pkt, &ip);
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ(r.counter, "ipv6_payload_length_zero");
  EXPECT_EQ(ip.src.ToString(), "::1");
  EXPECT_EQ(ip.proto, 17);
  EXPECT_EQ(ip.payload.size(), 8u);
}

TEST(IpTest, Ipv6ExtensionLengthPastPayloadLength) {
  // Hop-by-hop claims 16 bytes but the payload length allows 8.
  const auto pkt = Hex({"60 00 00 00  00 08 00 40",
                        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01",
                        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01",
                        "06 01 01 04 00 00 00 00", "00 00 00 00 00 00 00 00"});
  IpLayer ip;
  const LayerResult r = DecodeIpv6(pkt, &ip);
  EXPECT_EQ(r.outcome, DecodeOutcome::kMalformed);
  EXPECT_STREQ(r.counter, "ipv6_ext_header_truncated");
}

}  // namespace
}  // namespace cleansweep::agent
