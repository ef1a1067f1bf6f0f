#include "agent/decode/decoder.h"

#include <string>
#include <vector>

#include "agent/decode/test_frames.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::agent::testing::AsString;
using ::cleansweep::agent::testing::Cat;
using ::cleansweep::agent::testing::EthHeader;
using ::cleansweep::agent::testing::Hex;
using ::cleansweep::agent::testing::Ipv4TcpPacket;
using ::cleansweep::agent::testing::Ipv6TcpPacket;

std::string Payload(const DecodedPacket& p) {
  return std::string(p.payload.begin(), p.payload.end());
}

// The hand-written IPv4 segment: 10.10.1.4:1470 -> 74.53.140.153:25, seq 100,
// ack 200, PSH|ACK, payload "EHLO GP\n".
void ExpectSampleIpv4Tcp(const DecodedPacket& p) {
  EXPECT_EQ(p.src.ToString(), "10.10.1.4");
  EXPECT_EQ(p.dst.ToString(), "74.53.140.153");
  EXPECT_EQ(p.ip_proto, kIpProtoTcp);
  EXPECT_EQ(p.src_port, 1470);
  EXPECT_EQ(p.dst_port, 25);
  EXPECT_EQ(p.seq, 100u);
  EXPECT_EQ(p.ack, 200u);
  EXPECT_EQ(p.tcp_flags, kTcpPsh | kTcpAck);
  EXPECT_EQ(Payload(p), "EHLO GP\n");
}

void ExpectSampleIpv6Tcp(const DecodedPacket& p) {
  EXPECT_EQ(p.src.ToString(), "2001:db8::1");
  EXPECT_EQ(p.dst.ToString(), "2001:db8::2");
  EXPECT_EQ(p.src.family, 6);
  EXPECT_EQ(p.ip_proto, kIpProtoTcp);
  EXPECT_EQ(p.src_port, 1470);
  EXPECT_EQ(p.dst_port, 25);
  EXPECT_EQ(p.tcp_flags, kTcpPsh | kTcpAck);
  EXPECT_EQ(Payload(p), "EHLO GP\n");
}

TEST(DecoderTest, EthernetIpv4Tcp) {
  const auto frame = Cat({EthHeader("08 00"), Ipv4TcpPacket()});
  DecodedPacket p;
  p.time_us = 77;
  p.source_index = 3;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv4Tcp(p);
  EXPECT_FALSE(p.has_vlan);
  EXPECT_EQ(p.time_us, 77);  // left for the caller
  EXPECT_EQ(p.source_index, 3u);
  EXPECT_EQ(a.Total(), 0u);
  // The payload borrows from the frame.
  EXPECT_EQ(p.payload.data(), frame.data() + 14 + 20 + 20);
}

TEST(DecoderTest, EthernetIpv6Tcp) {
  const auto frame = Cat({EthHeader("86 dd"), Ipv6TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv6Tcp(p);
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, EthernetPaddingIsTrimmed) {
  // A bare SYN: IPv4 total length 40, padded by the sender to the 60-byte
  // Ethernet minimum with six zero bytes.
  const auto frame = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 28  00 01 00 00  40 06 00 00  c0 a8 01 02  c0 a8 01 03",
                               "c3 50 01 bb  00 00 03 e8  00 00 00 00  50 02 72 10  00 00 00 00",
                               "00 00 00 00 00 00"})});
  ASSERT_EQ(frame.size(), 60u);
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  EXPECT_EQ(p.src.ToString(), "192.168.1.2");
  EXPECT_EQ(p.dst.ToString(), "192.168.1.3");
  EXPECT_EQ(p.src_port, 50000);
  EXPECT_EQ(p.dst_port, 443);
  EXPECT_EQ(p.seq, 1000u);
  EXPECT_EQ(p.tcp_flags, kTcpSyn);
  EXPECT_TRUE(p.payload.empty());
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, UdpDnsQuery) {
  // 10.0.0.5:53001 -> 10.0.0.1:53, UDP length 12 (4 payload bytes), padded.
  const auto frame = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 20  00 02 00 00  40 11 00 00  0a 00 00 05  0a 00 00 01",
                               "cf 09 00 35  00 0c 00 00", "de ad be ef",
                               "00 00 00 00 00 00 00 00 00 00 00 00 00 00"})});
  DecodedPacket p;
  p.tcp_flags = 0xFF;
  p.seq = 9;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  EXPECT_EQ(p.ip_proto, kIpProtoUdp);
  EXPECT_EQ(p.src_port, 53001);
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(p.tcp_flags, 0);
  EXPECT_EQ(p.seq, 0u);
  EXPECT_EQ(Payload(p), AsString(Hex({"de ad be ef"})));
}

struct LinkCase {
  const char* name;
  int link_type;
  std::vector<uint8_t> header;
  bool ipv6;
};

class LinkTypeTest : public ::testing::TestWithParam<LinkCase> {};

TEST_P(LinkTypeTest, DecodesSampleSegment) {
  const LinkCase& c = GetParam();
  const auto frame = Cat({c.header, c.ipv6 ? Ipv6TcpPacket() : Ipv4TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(c.link_type, frame, &p, &a), DecodeOutcome::kOk);
  if (c.ipv6) {
    ExpectSampleIpv6Tcp(p);
  } else {
    ExpectSampleIpv4Tcp(p);
  }
  EXPECT_FALSE(p.has_vlan);
  EXPECT_EQ(a.Total(), 0u);
}

// Link headers written from https://www.tcpdump.org/linktypes.html.
INSTANTIATE_TEST_SUITE_P(
    AllLinkTypes, LinkTypeTest,
    ::testing::Values(
        LinkCase{"ethernet_v4", 1, EthHeader("08 00"), false},
        LinkCase{"ethernet_v6", 1, EthHeader("86 dd"), true},
        // NULL: AF_INET in little-endian host order (as on x86 BSD/macOS).
        LinkCase{"null_le_v4", 0, Hex({"02 00 00 00"}), false},
        LinkCase{"null_be_v4", 0, Hex({"00 00 00 02"}), false},
        LinkCase{"null_le_macos_v6", 0, Hex({"1e 00 00 00"}), true},
        LinkCase{"null_le_freebsd_v6", 0, Hex({"1c 00 00 00"}), true},
        LinkCase{"null_le_openbsd_v6", 0, Hex({"18 00 00 00"}), true},
        LinkCase{"null_le_linux_v6", 0, Hex({"0a 00 00 00"}), true},
        // LOOP: network byte order.
        LinkCase{"loop_v4", 108, Hex({"00 00 00 02"}), false},
        LinkCase{"loop_v6", 108, Hex({"00 00 00 18"}), true},
        // SLL: outgoing (4), ARPHRD_ETHER (1), 6-byte address, protocol.
        LinkCase{"sll_v4", 113, Hex({"00 04 00 01 00 06 66 77 88 99 aa bb 00 00 08 00"}), false},
        LinkCase{"sll_v6", 113, Hex({"00 04 00 01 00 06 66 77 88 99 aa bb 00 00 86 dd"}), true},
        // SLL2: protocol, reserved, ifindex 2, ARPHRD_ETHER, outgoing, len 6, addr.
        LinkCase{"sll2_v4", 276, Hex({"08 00 00 00 00 00 00 02 00 01 04 06 66 77 88 99 aa bb 00 00"}),
                 false},
        LinkCase{"sll2_v6", 276, Hex({"86 dd 00 00 00 00 00 02 00 01 04 06 66 77 88 99 aa bb 00 00"}),
                 true},
        LinkCase{"raw_v4", 101, {}, false}, LinkCase{"raw_v6", 101, {}, true},
        LinkCase{"dlt_raw12_v4", 12, {}, false}, LinkCase{"dlt_raw14_v6", 14, {}, true},
        LinkCase{"ipv4", 228, {}, false}, LinkCase{"ipv6", 229, {}, true}),
    [](const ::testing::TestParamInfo<LinkCase>& info) { return std::string(info.param.name); });

TEST(DecoderTest, UnknownLinkTypeIsCounted) {
  const auto frame = Cat({EthHeader("08 00"), Ipv4TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(147, frame, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("unknown_link_type"), 1u);
}

TEST(DecoderTest, NullLoopbackOtherFamilyIgnored) {
  const auto frame = Cat({Hex({"07 00 00 00"}), Ipv4TcpPacket()});  // AF 7: not IP
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeNull, frame, &p, &a), DecodeOutcome::kIgnored);
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, RawBadVersion) {
  const auto frame = Hex({"55 00 00 14"});
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeRaw, frame, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("raw_bad_version"), 1u);
  EXPECT_EQ(DecodePacket(kLinkTypeRaw, {}, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("raw_truncated"), 1u);
}

TEST(DecoderTest, SingleVlanTag) {
  // 802.1Q, PCP 3, VLAN 100 (TCI 0x6064).
  const auto frame = Cat({EthHeader("81 00"), Hex({"60 64 08 00"}), Ipv4TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan_id, 100);
  ExpectSampleIpv4Tcp(p);
}

TEST(DecoderTest, DoubleTagRecordsOuterVlan) {
  // 802.1ad S-tag VLAN 10, then 802.1Q C-tag VLAN 20, then IPv6.
  const auto frame =
      Cat({EthHeader("88 a8"), Hex({"00 0a 81 00", "00 14 86 dd"}), Ipv6TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan_id, 10);
  ExpectSampleIpv6Tcp(p);
}

TEST(DecoderTest, FourTagsAcceptedFifthTooDeep) {
  // 0x9100 outer (VLAN 4095), then three 802.1Q tags.
  const auto four = Cat({EthHeader("91 00"), Hex({"0f ff 81 00", "00 02 81 00", "00 03 81 00",
                                                   "00 04 08 00"}),
                         Ipv4TcpPacket()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, four, &p, &a), DecodeOutcome::kOk);
  EXPECT_EQ(p.vlan_id, 4095);
  ExpectSampleIpv4Tcp(p);

  const auto five = Cat({EthHeader("81 00"), Hex({"00 01 81 00", "00 02 81 00", "00 03 81 00",
                                                   "00 04 81 00", "00 05 08 00"}),
                         Ipv4TcpPacket()});
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, five, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("vlan_too_deep"), 1u);
  EXPECT_EQ(a.Total(), 1u);
}

TEST(DecoderTest, VlanTruncated) {
  const auto frame = Cat({EthHeader("81 00"), Hex({"00 64 08"})});
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("vlan_truncated"), 1u);
}

TEST(DecoderTest, VlanInsideLinuxCooked) {
  const auto frame = Cat({Hex({"00 04 00 01 00 06 66 77 88 99 aa bb 00 00 81 00"}),
                          Hex({"00 07 08 00"}), Ipv4TcpPacket()});
  DecodedPacket p;
  ASSERT_EQ(DecodePacket(kLinkTypeLinuxSll, frame, &p, nullptr), DecodeOutcome::kOk);
  EXPECT_EQ(p.vlan_id, 7);
  ExpectSampleIpv4Tcp(p);
}

TEST(DecoderTest, ArpAndIcmpIgnoredUncounted) {
  // ARP request who-has 192.168.1.1 tell 192.168.1.2.
  const auto arp = Cat({EthHeader("08 06"), Hex({"00 01 08 00 06 04 00 01 66 77 88 99 aa bb",
                                                  "c0 a8 01 02 00 00 00 00 00 00 c0 a8 01 01"})});
  // ICMP echo request, total length 28.
  const auto icmp = Cat({EthHeader("08 00"),
                         Hex({"45 00 00 1c  00 03 00 00  40 01 00 00  c0 a8 01 02  08 08 08 08",
                              "08 00 f7 ff 00 00 00 00"})});
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, arp, &p, &a), DecodeOutcome::kIgnored);
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, icmp, &p, &a), DecodeOutcome::kIgnored);
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, Ipv4OptionsSkipped) {
  // IHL 6: one 4-byte option word (NOP NOP NOP EOL); total length 52.
  const auto frame = Cat({EthHeader("08 00"),
                          Hex({"46 00 00 34  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99",
                               "01 01 01 00"}),
                          Hex({testing::kTcpHeader, testing::kTcpPayload})});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv4Tcp(p);
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, TcpOptionsSkipped) {
  // Data offset 6: MSS 1460 option; IPv4 total length 52.
  const auto frame = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 34  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99",
                               "05 be 00 19  00 00 00 64  00 00 00 c8  60 18 ff ff  00 00 00 00",
                               "02 04 05 b4", testing::kTcpPayload})});
  DecodedPacket p;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, nullptr), DecodeOutcome::kOk);
  ExpectSampleIpv4Tcp(p);
}

TEST(DecoderTest, Ipv4Fragments) {
  // First fragment (MF set, offset 0) decodes normally.
  const auto first = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 30  12 34 20 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99",
                               testing::kTcpHeader, testing::kTcpPayload})});
  // A later fragment (offset 185 * 8 = 1480) carries no TCP header.
  const auto later = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 30  12 34 00 b9  40 06 00 00  0a 0a 01 04  4a 35 8c 99",
                               testing::kTcpHeader, testing::kTcpPayload})});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, first, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv4Tcp(p);
  EXPECT_EQ(a.Total(), 0u);
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, later, &p, &a), DecodeOutcome::kIgnored);
  EXPECT_EQ(a.Get("ipv4_fragment"), 1u);
}

TEST(DecoderTest, Ipv4HeaderErrors) {
  struct Case {
    const char* header;
    const char* counter;
  };
  const Case cases[] = {
      {"55 00 00 30  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99", "ipv4_bad_version"},
      {"44 00 00 30  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99", "ipv4_bad_header_length"},
      {"45 00 00 13  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99", "ipv4_bad_total_length"},
      // IHL 15 = 60 bytes, but the whole frame holds 48 bytes of IP.
      {"4f 00 00 30  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99", "ipv4_truncated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.counter);
    const auto frame = Cat({EthHeader("08 00"), Hex({c.header, testing::kTcpHeader,
                                                     testing::kTcpPayload})});
    DecodedPacket p;
    AnomalyCounters a;
    EXPECT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kMalformed);
    EXPECT_EQ(a.Get(c.counter), 1u);
    EXPECT_EQ(a.Total(), 1u);
  }
}

TEST(DecoderTest, Ipv4TotalLengthZeroUsesCapture) {
  // TSO on the capturing host leaves total length 0.
  const auto frame = Cat({EthHeader("08 00"),
                          Hex({"45 00 00 00  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99",
                               testing::kTcpHeader, testing::kTcpPayload})});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv4Tcp(p);
  EXPECT_EQ(a.Get("ipv4_total_length_zero"), 1u);
}

TEST(DecoderTest, TcpBadDataOffset) {
  DecodedPacket p;
  AnomalyCounters a;
  // Data offset 4 (< 5).
  auto frame = Cat({EthHeader("08 00"),
                    Hex({testing::kIpv4TcpHeader,
                         "05 be 00 19  00 00 00 64  00 00 00 c8  40 18 ff ff  00 00 00 00",
                         testing::kTcpPayload})});
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("tcp_bad_data_offset"), 1u);
  // Data offset 15 (60 bytes) but the IP length leaves only 28 for TCP.
  frame = Cat({EthHeader("08 00"),
               Hex({testing::kIpv4TcpHeader,
                    "05 be 00 19  00 00 00 64  00 00 00 c8  f0 18 ff ff  00 00 00 00",
                    testing::kTcpPayload})});
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("tcp_bad_data_offset"), 2u);
  EXPECT_EQ(a.Total(), 2u);
}

TEST(DecoderTest, UdpLengthChecks) {
  const char* ip = "45 00 00 20  00 02 00 00  40 11 00 00  0a 00 00 05  0a 00 00 01";
  DecodedPacket p;
  AnomalyCounters a;
  // UDP length 7 < 8.
  EXPECT_EQ(DecodePacket(kLinkTypeIpv4, Hex({ip, "cf 09 00 35 00 07 00 00 de ad be ef"}), &p, &a),
            DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("udp_bad_length"), 1u);
  // UDP length 20 > the 12 bytes the IP header allows.
  EXPECT_EQ(DecodePacket(kLinkTypeIpv4, Hex({ip, "cf 09 00 35 00 14 00 00 de ad be ef"}), &p, &a),
            DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("udp_bad_length"), 2u);
  // UDP length 10 < IP payload: payload trimmed to 2 bytes.
  ASSERT_EQ(DecodePacket(kLinkTypeIpv4, Hex({ip, "cf 09 00 35 00 0a 00 00 de ad be ef"}), &p, &a),
            DecodeOutcome::kOk);
  EXPECT_EQ(Payload(p), AsString(Hex({"de ad"})));
  // Only 6 bytes of UDP header.
  EXPECT_EQ(DecodePacket(kLinkTypeIpv4,
                         Hex({"45 00 00 1a  00 02 00 00  40 11 00 00  0a 00 00 05  0a 00 00 01",
                              "cf 09 00 35 00 0c"}),
                         &p, &a),
            DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("udp_truncated"), 1u);
}

TEST(DecoderTest, SnaplenTruncatedUdpKeepsCapturedBytes) {
  // IP says 32 bytes, only 30 captured: the UDP length (12) runs past the
  // capture, which is accepted because the IP layer saw the truncation.
  const auto frame = Hex({"45 00 00 20  00 02 00 00  40 11 00 00  0a 00 00 05  0a 00 00 01",
                          "cf 09 00 35 00 0c 00 00 de ad"});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeIpv4, frame, &p, &a), DecodeOutcome::kOk);
  EXPECT_EQ(Payload(p), AsString(Hex({"de ad"})));
  EXPECT_EQ(a.Total(), 0u);
}

// Every prefix of the Ethernet/IPv4/TCP sample: never crashes, and each cut
// is named by the layer it falls in; once the TCP header is complete the
// snaplen-style cut still decodes, with the payload that was captured.
TEST(DecoderTest, Ipv4TruncatedAtEveryByte) {
  const auto frame = Cat({EthHeader("08 00"), Ipv4TcpPacket()});
  for (size_t n = 0; n < frame.size(); ++n) {
    SCOPED_TRACE(n);
    DecodedPacket p;
    AnomalyCounters a;
    const DecodeOutcome o =
        DecodePacket(kLinkTypeEthernet, absl::MakeConstSpan(frame.data(), n), &p, &a);
    if (n < 14) {
      EXPECT_EQ(o, DecodeOutcome::kMalformed);
      EXPECT_EQ(a.Get("ethernet_truncated"), 1u);
    } else if (n < 34) {
      EXPECT_EQ(o, DecodeOutcome::kMalformed);
      EXPECT_EQ(a.Get("ipv4_truncated"), 1u);
    } else if (n < 54) {
      EXPECT_EQ(o, DecodeOutcome::kMalformed);
      EXPECT_EQ(a.Get("tcp_truncated"), 1u);
    } else {
      ASSERT_EQ(o, DecodeOutcome::kOk);
      EXPECT_EQ(p.dst_port, 25);
      EXPECT_EQ(p.seq, 100u);
      EXPECT_EQ(p.payload.size(), n - 54);
    }
    EXPECT_EQ(a.Total(), o == DecodeOutcome::kOk ? 0u : 1u);
  }
}

// IPv6 with hop-by-hop, destination options and an (atomic, first) fragment
// header before TCP.
std::vector<uint8_t> Ipv6WithExtensions() {
  return Hex({"60 00 00 00  00 34 00 40",  // payload length 52, next: hop-by-hop
              "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
              "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02",
              "3c 00 01 04 00 00 00 00",  // hop-by-hop: next dest-opts, len 0, PadN(4)
              "2c 00 01 04 00 00 00 00",  // dest-opts: next fragment, PadN(4)
              "06 00 00 01 00 00 00 2a",  // fragment: next TCP, offset 0, M=1, id 42
              testing::kTcpHeader, testing::kTcpPayload});
}

TEST(DecoderTest, Ipv6ExtensionHeaders) {
  const auto frame = Cat({EthHeader("86 dd"), Ipv6WithExtensions()});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv6Tcp(p);
  EXPECT_EQ(a.Total(), 0u);
}

TEST(DecoderTest, Ipv6TruncatedAtEveryByte) {
  const auto frame = Cat({EthHeader("86 dd"), Ipv6WithExtensions()});
  const size_t ip = 14, ext = ip + 40, tcp = ext + 24, data = tcp + 20;
  for (size_t n = 0; n < frame.size(); ++n) {
    SCOPED_TRACE(n);
    DecodedPacket p;
    AnomalyCounters a;
    const DecodeOutcome o =
        DecodePacket(kLinkTypeEthernet, absl::MakeConstSpan(frame.data(), n), &p, &a);
    const char* expected = n < ip     ? "ethernet_truncated"
                           : n < ext  ? "ipv6_truncated"
                           : n < tcp  ? "ipv6_ext_header_truncated"
                           : n < data ? "tcp_truncated"
                                      : nullptr;
    if (expected != nullptr) {
      EXPECT_EQ(o, DecodeOutcome::kMalformed);
      EXPECT_EQ(a.Get(expected), 1u);
      EXPECT_EQ(a.Total(), 1u);
    } else {
      ASSERT_EQ(o, DecodeOutcome::kOk);
      EXPECT_EQ(p.payload.size(), n - data);
      EXPECT_EQ(a.Total(), 0u);
    }
  }
}

TEST(DecoderTest, Ipv6NonFirstFragmentIgnored) {
  const auto frame = Cat({EthHeader("86 dd"),
                          Hex({"60 00 00 00  00 1c 2c 40",
                               "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
                               "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02",
                               "06 00 05 c8 00 00 00 2a",  // offset 185 (0x05c8 >> 3), M=0
                               "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33"})});
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, frame, &p, &a), DecodeOutcome::kIgnored);
  EXPECT_EQ(a.Get("ipv6_fragment"), 1u);
}

TEST(DecoderTest, Ipv6AuthenticationHeaderLengthInWords) {
  // AH payload len 4 => (4 + 2) * 4 = 24 bytes (12 fixed + 12 ICV).
  const auto frame = Hex({"60 00 00 00  00 34 33 40",
                          "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
                          "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02",
                          "06 04 00 00  00 00 10 01  00 00 00 07",
                          "aa aa aa aa  bb bb bb bb  cc cc cc cc",
                          testing::kTcpHeader, testing::kTcpPayload});
  DecodedPacket p;
  AnomalyCounters a;
  ASSERT_EQ(DecodePacket(kLinkTypeIpv6, frame, &p, &a), DecodeOutcome::kOk);
  ExpectSampleIpv6Tcp(p);
}

TEST(DecoderTest, Ipv6EspAndNoNextHeaderIgnored) {
  for (const char* nh : {"32", "3b", "3a"}) {  // ESP, no next header, ICMPv6
    SCOPED_TRACE(nh);
    const std::string first = std::string("60 00 00 00  00 08 ") + nh + " 40";
    const auto frame = Hex({first.c_str(), "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
                            "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02",
                            "00 00 00 00 00 00 00 00"});
    DecodedPacket p;
    AnomalyCounters a;
    EXPECT_EQ(DecodePacket(kLinkTypeIpv6, frame, &p, &a), DecodeOutcome::kIgnored);
    EXPECT_EQ(a.Total(), 0u);
  }
}

TEST(DecoderTest, Ipv6ExtensionChainCapped) {
  // Eight destination-options headers are accepted; nine are not.
  for (int count : {8, 9}) {
    SCOPED_TRACE(count);
    std::vector<uint8_t> ip6 = Hex({"60 00 00 00  00 00 3c 40",
                                    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
                                    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"});
    for (int i = 0; i < count; ++i) {
      const auto opt = Hex({i + 1 < count ? "3c" : "06", "00 01 04 00 00 00 00"});
      ip6.insert(ip6.end(), opt.begin(), opt.end());
    }
    const auto tcp = Hex({testing::kTcpHeader, testing::kTcpPayload});
    ip6.insert(ip6.end(), tcp.begin(), tcp.end());
    const size_t plen = ip6.size() - 40;
    ip6[4] = static_cast<uint8_t>(plen >> 8);
    ip6[5] = static_cast<uint8_t>(plen);
    DecodedPacket p;
    AnomalyCounters a;
    const DecodeOutcome o = DecodePacket(kLinkTypeIpv6, ip6, &p, &a);
    if (count == 8) {
      ASSERT_EQ(o, DecodeOutcome::kOk);
      ExpectSampleIpv6Tcp(p);
    } else {
      EXPECT_EQ(o, DecodeOutcome::kMalformed);
      EXPECT_EQ(a.Get("ipv6_ext_chain_too_long"), 1u);
    }
  }
}

TEST(DecoderTest, Ipv6BadVersionAndPaddingTrim) {
  DecodedPacket p;
  AnomalyCounters a;
  auto v = Ipv6TcpPacket();
  v[0] = 0x40;
  EXPECT_EQ(DecodePacket(kLinkTypeIpv6, v, &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("ipv6_bad_version"), 1u);
  // Trailing link padding beyond the payload length is trimmed.
  const auto padded = Cat({Ipv6TcpPacket(), Hex({"00 00 00 00"})});
  ASSERT_EQ(DecodePacket(kLinkTypeIpv6, padded, &p, &a), DecodeOutcome::kOk);
  EXPECT_EQ(Payload(p), "EHLO GP\n");
}

TEST(DecoderTest, NullCountersAccepted) {
  DecodedPacket p;
  EXPECT_EQ(DecodePacket(kLinkTypeEthernet, Hex({"00 11"}), &p, nullptr),
            DecodeOutcome::kMalformed);
}

TEST(DecoderTest, LinkHeaderTruncationNames) {
  DecodedPacket p;
  AnomalyCounters a;
  EXPECT_EQ(DecodePacket(kLinkTypeNull, Hex({"02 00 00"}), &p, &a), DecodeOutcome::kMalformed);
  EXPECT_EQ(DecodePacket(kLinkTypeLinuxSll, Hex({"00 04 00 01 00 06 66 77 88 99 aa bb 00 00 08"}),
                         &p, &a),
            DecodeOutcome::kMalformed);
  EXPECT_EQ(DecodePacket(kLinkTypeLinuxSll2, Hex({"08 00 00 00 00 00 00 02 00 01 04 06 66 77"}), &p,
                         &a),
            DecodeOutcome::kMalformed);
  EXPECT_EQ(a.Get("null_truncated"), 1u);
  EXPECT_EQ(a.Get("sll_truncated"), 1u);
  EXPECT_EQ(a.Get("sll2_truncated"), 1u);
}

}  // namespace
}  // namespace cleansweep::agent
