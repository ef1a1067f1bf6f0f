// The capture filter must admit what the observers need and nothing else.
// Each case is a hand-built frame run through libpcap's own filter machine.
#include "agent/capture/bpf_filter.h"

#include <pcap/pcap.h>

#include "agent/capture/capture_source.h"
#include "agent/testing/frame_builder.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using testing::BuildEthernet;
using testing::FrameSpec;

class BpfFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pcap_ = pcap_open_dead(DLT_EN10MB, 65535);
    ASSERT_NE(pcap_, nullptr);
    std::string expr = BuildCaptureFilter(WatchConfig::Defaults());
    ASSERT_EQ(pcap_compile(pcap_, &program_, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
        << pcap_geterr(pcap_) << "\n" << expr;
  }
  void TearDown() override {
    pcap_freecode(&program_);
    pcap_close(pcap_);
  }
  bool Admits(const FrameSpec& spec) {
    std::vector<uint8_t> frame = BuildEthernet(spec);
    pcap_pkthdr h = {};
    h.caplen = h.len = static_cast<uint32_t>(frame.size());
    return pcap_offline_filter(&program_, &h, frame.data()) != 0;
  }
  pcap_t* pcap_ = nullptr;
  bpf_program program_ = {};
};

FrameSpec Spec(bool ipv6, uint16_t dport, uint8_t flags, std::string payload = "") {
  FrameSpec s;
  s.ipv6 = ipv6;
  if (ipv6) {
    s.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    s.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  }
  s.dst_port = dport;
  s.tcp_flags = flags;
  s.payload = std::move(payload);
  return s;
}

TEST_F(BpfFilterTest, SmtpHandshakePayloadAndCloseAdmittedBareAcksNot) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    EXPECT_TRUE(Admits(Spec(v6, 25, 0x02)));                       // SYN
    EXPECT_TRUE(Admits(Spec(v6, 587, 0x18, "MAIL FROM:<a@b>\r\n"))); // PSH/ACK with data
    EXPECT_TRUE(Admits(Spec(v6, 2525, 0x11)));                     // FIN/ACK
    EXPECT_TRUE(Admits(Spec(v6, 465, 0x04)));                      // RST
    EXPECT_FALSE(Admits(Spec(v6, 25, 0x10)));                      // bare ACK
    FrameSpec reply = Spec(v6, 40000, 0x18, "250 OK\r\n");
    reply.src_port = 25;
    EXPECT_TRUE(Admits(reply));  // server → client payload
  }
}

TEST_F(BpfFilterTest, WormPortsOnlyHandshakeFlags) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    EXPECT_TRUE(Admits(Spec(v6, 3127, 0x02)));
    EXPECT_TRUE(Admits(Spec(v6, 3198, 0x02)));
    EXPECT_TRUE(Admits(Spec(v6, 445, 0x02)));
    EXPECT_FALSE(Admits(Spec(v6, 445, 0x18, "SMB payload")));  // data on 445 is not needed
    EXPECT_FALSE(Admits(Spec(v6, 3199, 0x02)));               // just outside the Mydoom range
  }
}

TEST_F(BpfFilterTest, DnsAndUdpWormPortsAdmittedOtherTrafficNot) {
  FrameSpec dns = Spec(false, 53, 0);
  dns.udp = true;
  dns.payload = std::string(30, 'x');
  EXPECT_TRUE(Admits(dns));
  FrameSpec tftp = dns;
  tftp.dst_port = 69;
  EXPECT_TRUE(Admits(tftp));
  FrameSpec quic = dns;
  quic.dst_port = 443;
  EXPECT_FALSE(Admits(quic));
  EXPECT_FALSE(Admits(Spec(false, 443, 0x18, "TLS")));
  EXPECT_FALSE(Admits(Spec(true, 80, 0x02)));
}

TEST_F(BpfFilterTest, VlanTaggedFramesFollowTheSameRules) {
  for (std::vector<uint16_t> tags : {std::vector<uint16_t>{100}}) {
    SCOPED_TRACE(tags.size());
    for (bool v6 : {false, true}) {
      FrameSpec syn = Spec(v6, 25, 0x02);
      syn.vlans = tags;
      EXPECT_TRUE(Admits(syn));
      FrameSpec worm = Spec(v6, 3127, 0x02);
      worm.vlans = tags;
      EXPECT_TRUE(Admits(worm));
      FrameSpec ack = Spec(v6, 25, 0x10);
      ack.vlans = tags;
      EXPECT_FALSE(Admits(ack));
      FrameSpec web = Spec(v6, 443, 0x18, "x");
      web.vlans = tags;
      EXPECT_FALSE(Admits(web));
    }
  }
}

TEST(BpfFilter, CompilesForEveryLinkType) {
  for (int dlt : {DLT_EN10MB, DLT_NULL, DLT_LOOP, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW}) {
    const std::string expr =
        BuildCaptureFilter(WatchConfig::Defaults(), LinkTypeCarriesVlan(dlt));
    absl::Status st = CheckFilterCompiles(expr, dlt);
    EXPECT_TRUE(st.ok()) << "link type " << dlt << ": " << st;
  }
}

TEST(BpfFilter, FollowsTheWatchedPorts) {
  WatchConfig c = WatchConfig::Defaults();
  c.smtp_ports = {26};
  c.worm_tcp_ports = {{7000, 7001}};
  c.worm_udp_ports = {};
  const std::string expr = BuildCaptureFilter(c);
  EXPECT_NE(expr.find("port 26"), std::string::npos);
  EXPECT_NE(expr.find("portrange 7000-7001"), std::string::npos);
  EXPECT_EQ(expr.find("port 25"), std::string::npos);
  EXPECT_EQ(expr.find("3127"), std::string::npos);
  EXPECT_TRUE(CheckFilterCompiles(expr, DLT_EN10MB).ok());
}

}  // namespace
}  // namespace cleansweep::agent
