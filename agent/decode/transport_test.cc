#include "agent/decode/transport.h"

#include "agent/decode/test_frames.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::agent::testing::Hex;

TEST(TransportTest, TcpAllFlagsAndLargeSequence) {
  // 443 -> 51000, seq 0xfffffffe, ack 0x80000001, FIN|SYN|RST|PSH|ACK|URG|ECE|CWR.
  const auto seg = Hex({"01 bb c7 38  ff ff ff fe  80 00 00 01  50 ff 00 00  00 00 00 00", "aa"});
  TransportLayer t;
  ASSERT_TRUE(DecodeTcp(seg, false, &t).ok());
  EXPECT_EQ(t.src_port, 443);
  EXPECT_EQ(t.dst_port, 51000);
  EXPECT_EQ(t.seq, 0xfffffffeu);
  EXPECT_EQ(t.ack, 0x80000001u);
  EXPECT_EQ(t.tcp_flags, 0xff);
  ASSERT_EQ(t.payload.size(), 1u);
  EXPECT_EQ(t.payload[0], 0xaa);
}

TEST(TransportTest, TcpOptionsCutBySnaplenAreTruncation) {
  // Data offset 8 (32 bytes) but only 24 captured, and the IP layer says the
  // capture was cut: that is truncation, not a lying header.
  const auto seg = Hex({"01 bb c7 38  00 00 00 01  00 00 00 00  80 02 00 00  00 00 00 00",
                        "02 04 05 b4"});
  TransportLayer t;
  EXPECT_STREQ(DecodeTcp(seg, true, &t).counter, "tcp_truncated");
  EXPECT_STREQ(DecodeTcp(seg, false, &t).counter, "tcp_bad_data_offset");
}

TEST(TransportTest, UdpExactLength) {
  const auto dgram = Hex({"00 35 d4 31 00 0b 00 00 01 02 03"});
  TransportLayer t;
  ASSERT_TRUE(DecodeUdp(dgram, false, &t).ok());
  EXPECT_EQ(t.src_port, 53);
  EXPECT_EQ(t.dst_port, 54321);
  EXPECT_EQ(t.payload.size(), 3u);
}

}  // namespace
}  // namespace cleansweep::agent
