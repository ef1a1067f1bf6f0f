#include "agent/observers/worm_port_observer.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
using cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER;
using cleansweep::v1::CONNECTION_OUTCOME_REFUSED;

class CollectingSink : public EventSink {
 public:
  void Emit(cleansweep::v1::Event event) override { events.push_back(std::move(event)); }
  std::vector<cleansweep::v1::Event> events;
};

DecodedPacket Tcp(IpAddress src, uint16_t sport, IpAddress dst, uint16_t dport, uint8_t flags,
                  int64_t t) {
  DecodedPacket p;
  p.time_us = t;
  p.src = src;
  p.dst = dst;
  p.src_port = sport;
  p.dst_port = dport;
  p.ip_proto = kIpProtoTcp;
  p.tcp_flags = flags;
  return p;
}

DecodedPacket Udp(IpAddress src, uint16_t sport, IpAddress dst, uint16_t dport, int64_t t) {
  DecodedPacket p = Tcp(src, sport, dst, dport, 0, t);
  p.ip_proto = kIpProtoUdp;
  return p;
}

class WormPortObserverTest : public ::testing::Test {
 protected:
  WormPortObserverTest() : observer_(Options(), &sink_, &anomalies_) {}
  static WormPortOptions Options() {
    WormPortOptions o;
    o.tcp_ports = WatchConfig::Defaults().worm_tcp_ports;
    o.udp_ports = WatchConfig::Defaults().worm_udp_ports;
    o.max_pending = 4;
    return o;
  }
  const IpAddress host_ = IpAddress::V4(10, 0, 0, 5);
  const IpAddress target_ = IpAddress::V4(198, 51, 100, 7);
  CollectingSink sink_;
  AnomalyCounters anomalies_;
  WormPortObserver observer_;
};

TEST_F(WormPortObserverTest, AnsweredSynIsOneEstablishedContactDespiteRetransmissions) {
  observer_.OnPacket(Tcp(host_, 40001, target_, 3127, kTcpSyn, 1'000'000));
  observer_.OnPacket(Tcp(host_, 40001, target_, 3127, kTcpSyn, 2'000'000));  // retransmission
  observer_.OnPacket(Tcp(target_, 3127, host_, 40001, kTcpSyn | kTcpAck, 2'100'000));
  observer_.OnPacket(Tcp(target_, 3127, host_, 40001, kTcpRst | kTcpAck, 3'000'000));  // later close
  observer_.Finish(10'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto& c = sink_.events[0].worm_port();
  EXPECT_EQ(c.client().ip(), "10.0.0.5");
  EXPECT_EQ(c.client().port(), 40001u);
  EXPECT_EQ(c.server().ip(), "198.51.100.7");
  EXPECT_EQ(c.server().port(), 3127u);
  EXPECT_EQ(c.outcome(), CONNECTION_OUTCOME_ESTABLISHED);
  EXPECT_EQ(c.attempts(), 2u);
  EXPECT_EQ(c.time().seconds(), 1);
  EXPECT_EQ(sink_.events[0].time().seconds(), 1);
}

TEST_F(WormPortObserverTest, RstAnswerIsRefused) {
  observer_.OnPacket(Tcp(host_, 40002, target_, 445, kTcpSyn, 0));
  observer_.OnPacket(Tcp(target_, 445, host_, 40002, kTcpRst | kTcpAck, 1000));
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].worm_port().outcome(), CONNECTION_OUTCOME_REFUSED);
}

TEST_F(WormPortObserverTest, UnansweredSynReportedAfterTimeoutOrAtEnd) {
  observer_.OnPacket(Tcp(host_, 40003, target_, 135, kTcpSyn, 0));
  observer_.Advance(29'000'000);
  EXPECT_TRUE(sink_.events.empty());
  observer_.Advance(31'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].worm_port().outcome(), CONNECTION_OUTCOME_NO_ANSWER);
  observer_.OnPacket(Tcp(host_, 40004, target_, 1080, kTcpSyn, 32'000'000));
  observer_.Finish(33'000'000);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[1].worm_port().server().port(), 1080u);
}

TEST_F(WormPortObserverTest, UnwatchedPortsAndMidstreamTrafficAreNotContacts) {
  observer_.OnPacket(Tcp(host_, 40005, target_, 443, kTcpSyn, 0));
  observer_.OnPacket(Tcp(host_, 40006, target_, 3127, kTcpAck, 0));  // no SYN seen
  observer_.OnPacket(Tcp(target_, 3127, host_, 40007, kTcpSyn | kTcpAck, 0));  // answer to nothing
  observer_.Finish(1);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(WormPortObserverTest, UdpDatagramAndReply) {
  observer_.OnPacket(Udp(host_, 5000, target_, 69, 0));
  observer_.OnPacket(Udp(host_, 5000, target_, 69, 10));
  observer_.OnPacket(Udp(target_, 69, host_, 5000, 20));
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].worm_port().transport(), cleansweep::v1::TRANSPORT_UDP);
  EXPECT_EQ(sink_.events[0].worm_port().outcome(), CONNECTION_OUTCOME_ESTABLISHED);
  EXPECT_EQ(sink_.events[0].worm_port().attempts(), 2u);
}

TEST_F(WormPortObserverTest, SweepOfManyHostsIsOneEventEachAndTableIsBounded) {
  for (int i = 1; i <= 6; ++i) {
    observer_.OnPacket(Tcp(host_, 41000, IpAddress::V4(203, 0, 113, i), 445, kTcpSyn, i));
  }
  observer_.Finish(100);
  // max_pending = 4: four tracked, two counted as overflow.
  EXPECT_EQ(sink_.events.size(), 4u);
  EXPECT_EQ(anomalies_.Get("worm_port_table_full"), 2u);
  for (size_t i = 1; i < sink_.events.size(); ++i) {
    EXPECT_LE(sink_.events[i - 1].time().nanos(), sink_.events[i].time().nanos());
  }
}

TEST_F(WormPortObserverTest, Ipv6Endpoints) {
  IpAddress a, b;
  a.family = b.family = 6;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  b.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  observer_.OnPacket(Tcp(a, 40000, b, 3127, kTcpSyn, 0));
  observer_.Finish(1);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].worm_port().client().ip(), "2001:db8::1");
  EXPECT_EQ(sink_.events[0].worm_port().server().ip(), "2001:db8::2");
}

}  // namespace
}  // namespace cleansweep::agent
