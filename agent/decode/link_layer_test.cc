#include "agent/decode/link_layer.h"

#include <cstring>

#include "agent/decode/test_frames.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::agent::testing::Hex;

TEST(LinkLayerTest, EthernetPayloadStartsAfterHeader) {
  const auto frame = Hex({"00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00"});
  LinkLayer l;
  ASSERT_TRUE(DecodeEthernet(frame, &l).ok());
  EXPECT_EQ(l.proto, NetworkProto::kIpv4);
  ASSERT_EQ(l.payload.size(), 2u);
  EXPECT_EQ(l.payload[0], 0x45);
  EXPECT_FALSE(l.has_vlan);
}

TEST(LinkLayerTest, Ieee8023LengthFieldIgnored) {
  // An 802.3 frame with a length (0x0026) instead of an EtherType: LLC, not IP.
  const auto frame = Hex({"01 80 c2 00 00 00 66 77 88 99 aa bb 00 26 42 42 03"});
  LinkLayer l;
  const LayerResult r = DecodeEthernet(frame, &l);
  EXPECT_EQ(r.outcome, DecodeOutcome::kIgnored);
  EXPECT_EQ(r.counter, nullptr);
}

TEST(LinkLayerTest, VlanPriorityBitsMasked) {
  // TCI 0xF00A: PCP 7, DEI 1, VLAN 10.
  const auto frame = Hex({"00 11 22 33 44 55 66 77 88 99 aa bb 81 00 f0 0a 86 dd"});
  LinkLayer l;
  ASSERT_TRUE(DecodeEthernet(frame, &l).ok());
  EXPECT_EQ(l.vlan_id, 10);
  EXPECT_EQ(l.proto, NetworkProto::kIpv6);
  EXPECT_TRUE(l.payload.empty());
}

TEST(LinkLayerTest, UnknownLinkTypeNamed) {
  LinkLayer l;
  const LayerResult r = DecodeLinkLayer(9999, Hex({"45"}), &l);
  EXPECT_EQ(r.outcome, DecodeOutcome::kMalformed);
  EXPECT_STREQ(r.counter, "unknown_link_type");
}

TEST(LinkLayerTest, Sll2ProtocolIsFirstField) {
  // SLL2 puts the protocol first; an ARP (0x0806) frame is ignored.
  const auto frame = Hex({"08 06 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00 00 01"});
  LinkLayer l;
  EXPECT_EQ(DecodeLinuxSll2(frame, &l).outcome, DecodeOutcome::kIgnored);
}

}  // namespace
}  // namespace cleansweep::agent
