// The pipeline routes each decoded packet to the observers watching its ports
// and counts what it cannot decode.
#include "agent/observers/pipeline.h"

#include <utility>
#include <vector>

#include "agent/testing/frame_builder.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using testing::BuildEthernet;
using testing::FrameSpec;

class CollectingSink : public EventSink {
 public:
  void Emit(cleansweep::v1::Event event) override { events.push_back(std::move(event)); }
  int Count(cleansweep::v1::Event::KindCase kind) const {
    int n = 0;
    for (const auto& e : events) n += e.kind_case() == kind;
    return n;
  }
  std::vector<cleansweep::v1::Event> events;
};

constexpr int kEthernet = 1;

void Feed(Pipeline& p, const FrameSpec& spec, int64_t t) {
  std::vector<uint8_t> f = BuildEthernet(spec);
  p.OnFrame(kEthernet, 0, t, f);
}

FrameSpec Syn(uint16_t port) {
  FrameSpec s;
  s.dst_port = port;
  s.tcp_flags = 0x02;
  return s;
}

TEST(Pipeline, RoutesByPort) {
  CollectingSink sink;
  Pipeline p(WatchConfig::Defaults(), &sink);
  Feed(p, Syn(25), 1);
  Feed(p, Syn(3127), 2);
  Feed(p, Syn(443), 3);
  FrameSpec web = Syn(443);
  web.src_port = 25;  // an SMTP port on the client side is not an SMTP server
  web.dst_port = 50000;
  Feed(p, web, 4);
  p.Finish(10);
  EXPECT_EQ(sink.Count(cleansweep::v1::Event::kSmtp), 1);
  EXPECT_EQ(sink.Count(cleansweep::v1::Event::kWormPort), 1);
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(p.stats().packets, 4u);
  EXPECT_EQ(p.stats().decoded, 4u);
}

TEST(Pipeline, CountsMalformedAndIgnored) {
  CollectingSink sink;
  Pipeline p(WatchConfig::Defaults(), &sink);
  std::vector<uint8_t> runt = {1, 2, 3};
  p.OnFrame(kEthernet, 0, 1, runt);
  std::vector<uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  p.OnFrame(kEthernet, 0, 2, arp);
  EXPECT_EQ(p.stats().malformed, 1u);
  EXPECT_EQ(p.stats().ignored, 1u);
  EXPECT_EQ(p.anomalies().Total(), 1u);
}

TEST(Pipeline, ReconfigureFlushesAndFollowsNewPorts) {
  CollectingSink sink;
  Pipeline p(WatchConfig::Defaults(), &sink);
  Feed(p, Syn(25), 1);
  WatchConfig c = WatchConfig::Defaults();
  c.smtp_ports = {26};
  p.Reconfigure(c, 2);
  EXPECT_EQ(sink.Count(cleansweep::v1::Event::kSmtp), 1);  // the pending attempt was flushed
  Feed(p, Syn(25), 3);
  Feed(p, Syn(26), 4);
  p.Finish(5);
  ASSERT_EQ(sink.Count(cleansweep::v1::Event::kSmtp), 2);
  EXPECT_EQ(sink.events.back().smtp().server().port(), 26u);
}

class StartRecorder : public ConnectionStartListener {
 public:
  void OnSmtpConnectionStart(const DecodedPacket& syn) override {
    starts.push_back({syn.src_port, syn.dst_port});
  }
  std::vector<std::pair<uint16_t, uint16_t>> starts;
};

TEST(Pipeline, TellsConnectionStartsToSmtpPortsOnlyOnTheFirstSyn) {
  CollectingSink sink;
  StartRecorder starts;
  Pipeline p(WatchConfig::Defaults(), &sink, &starts);
  Feed(p, Syn(587), 1);  // a client's SYN to submission: a start
  FrameSpec syn_ack = Syn(40000);
  syn_ack.src_port = 587;
  syn_ack.tcp_flags = 0x12;  // the server's SYN-ACK: not a start
  Feed(p, syn_ack, 2);
  FrameSpec data = Syn(587);
  data.tcp_flags = 0x18;  // PSH-ACK: not a start
  data.payload = "EHLO x\r\n";
  Feed(p, data, 3);
  Feed(p, Syn(3127), 4);  // a worm port: not SMTP
  Feed(p, Syn(443), 5);   // not watched at all
  FrameSpec reverse = Syn(50000);
  reverse.src_port = 25;  // SYN from port 25 to a high port: not to an SMTP port
  Feed(p, reverse, 6);
  ASSERT_EQ(starts.starts.size(), 1u);
  EXPECT_EQ(starts.starts[0], std::make_pair(uint16_t{40000}, uint16_t{587}));
}

}  // namespace
}  // namespace cleansweep::agent
