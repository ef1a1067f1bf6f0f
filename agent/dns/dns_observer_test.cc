#include "agent/dns/dns_observer.h"

#include <cstdint>
#include <string>
#include <vector>

#include "agent/observers/event_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using Bytes = std::vector<uint8_t>;
using cleansweep::v1::Event;

class CollectingSink : public EventSink {
 public:
  void Emit(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes* b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void PutName(Bytes* b, const std::string& dotted) {
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    b->push_back(static_cast<uint8_t>(dot - start));
    b->insert(b->end(), dotted.begin() + static_cast<std::ptrdiff_t>(start),
              dotted.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  b->push_back(0);
}

Bytes Query(uint16_t id, const std::string& name, uint16_t qtype) {
  Bytes b;
  Put16(&b, id);
  Put16(&b, 0x0100);
  Put16(&b, 1);
  Put16(&b, 0);
  Put16(&b, 0);
  Put16(&b, 0);
  PutName(&b, name);
  Put16(&b, qtype);
  Put16(&b, 1);
  return b;
}

struct Mx {
  uint16_t pref;
  std::string host;
};
Bytes MxResponse(uint16_t id, const std::string& name, const std::vector<Mx>& mx,
                 uint8_t rcode = 0) {
  Bytes b;
  Put16(&b, id);
  Put16(&b, static_cast<uint16_t>(0x8180 | rcode));
  Put16(&b, 1);
  Put16(&b, static_cast<uint16_t>(mx.size() + 1));
  Put16(&b, 0);
  Put16(&b, 0);
  PutName(&b, name);
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  for (const Mx& m : mx) {
    Put16(&b, 0xC00C);
    Put16(&b, kDnsTypeMx);
    Put16(&b, 1);
    Put32(&b, 300);
    Bytes rdata;
    Put16(&rdata, m.pref);
    PutName(&rdata, m.host);
    Put16(&b, static_cast<uint16_t>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
  }
  // And one A record, reported under `answers`.
  Put16(&b, 0xC00C);
  Put16(&b, kDnsTypeA);
  Put16(&b, 1);
  Put32(&b, 300);
  Put16(&b, 4);
  Put32(&b, 0xC0000207);  // 192.0.2.7
  return b;
}

const IpAddress kClient = IpAddress::V4(10, 0, 0, 5);
const IpAddress kServer = IpAddress::V4(10, 0, 0, 53);
constexpr int64_t kT0 = 1'700'000'000'000'000;

class DnsObserverTest : public ::testing::Test {
 protected:
  DnsObserverTest() : observer_(DnsObserverOptions{}, &sink_, &anomalies_) {}

  // Client → server (query) or server → client (response) over UDP.
  void Udp(const Bytes& payload, int64_t t, bool from_client, uint16_t client_port = 40000,
           DnsObserver* obs = nullptr) {
    DecodedPacket p;
    p.time_us = t;
    p.ip_proto = kIpProtoUdp;
    p.src = from_client ? kClient : kServer;
    p.dst = from_client ? kServer : kClient;
    p.src_port = from_client ? client_port : kDnsPort;
    p.dst_port = from_client ? kDnsPort : client_port;
    p.payload = absl::MakeConstSpan(payload);
    (obs ? obs : &observer_)->OnPacket(p);
  }
  void Tcp(const Bytes& payload, int64_t t, bool from_client, uint32_t seq) {
    DecodedPacket p;
    p.time_us = t;
    p.ip_proto = kIpProtoTcp;
    p.src = from_client ? kClient : kServer;
    p.dst = from_client ? kServer : kClient;
    p.src_port = from_client ? 40001 : kDnsPort;
    p.dst_port = from_client ? kDnsPort : 40001;
    p.tcp_flags = kTcpAck | kTcpPsh;
    p.seq = seq;
    p.payload = absl::MakeConstSpan(payload);
    observer_.OnPacket(p);
  }
  static Bytes Framed(const Bytes& msg) {
    Bytes b;
    Put16(&b, static_cast<uint16_t>(msg.size()));
    b.insert(b.end(), msg.begin(), msg.end());
    return b;
  }

  CollectingSink sink_;
  AnomalyCounters anomalies_;
  DnsObserver observer_;
};

TEST_F(DnsObserverTest, QueryAndResponseMakeOneEvent) {
  Udp(Query(0x1234, "Example.com", kDnsTypeMx), kT0, true);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(observer_.pending_queries(), 1u);
  Udp(MxResponse(0x1234, "Example.com", {{10, "mx1.example.com"}, {20, "mx2.example.com"}}),
      kT0 + 30'000, false);
  ASSERT_EQ(sink_.events.size(), 1u);
  const Event& e = sink_.events[0];
  ASSERT_TRUE(e.has_dns());
  EXPECT_EQ(TimestampToMicros(e.time()), kT0);
  const auto& d = e.dns();
  EXPECT_EQ(d.client().ip(), "10.0.0.5");
  EXPECT_EQ(d.client().port(), 40000u);
  EXPECT_EQ(d.server().ip(), "10.0.0.53");
  EXPECT_EQ(d.server().port(), 53u);
  EXPECT_EQ(d.transport(), cleansweep::v1::TRANSPORT_UDP);
  EXPECT_EQ(TimestampToMicros(d.time()), kT0);
  EXPECT_EQ(d.id(), 0x1234u);
  EXPECT_EQ(d.name(), "Example.com");
  EXPECT_EQ(d.qtype(), 15u);
  EXPECT_EQ(d.qtype_name(), "MX");
  EXPECT_TRUE(d.answered());
  EXPECT_EQ(d.rcode(), 0u);
  EXPECT_EQ(d.rcode_name(), "NOERROR");
  EXPECT_EQ(TimestampToMicros(d.answer_time()), kT0 + 30'000);
  ASSERT_EQ(d.mx_size(), 2);
  EXPECT_EQ(d.mx(0).preference(), 10u);
  EXPECT_EQ(d.mx(0).exchange(), "mx1.example.com");
  EXPECT_EQ(d.mx(1).preference(), 20u);
  EXPECT_EQ(d.mx(1).exchange(), "mx2.example.com");
  ASSERT_EQ(d.answers_size(), 1);
  EXPECT_EQ(d.answers(0), "192.0.2.7");
  EXPECT_EQ(observer_.pending_queries(), 0u);
  observer_.Finish(kT0 + 60'000'000);
  EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_F(DnsObserverTest, NxdomainIsReported) {
  Udp(Query(7, "nope.example", kDnsTypeMx), kT0, true);
  Udp(MxResponse(7, "nope.example", {}, /*rcode=*/3), kT0 + 1000, false);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].dns().rcode(), 3u);
  EXPECT_EQ(sink_.events[0].dns().rcode_name(), "NXDOMAIN");
  EXPECT_EQ(sink_.events[0].dns().mx_size(), 0);
}

TEST_F(DnsObserverTest, OneSidedResponseStillReported) {
  Udp(MxResponse(0x99, "mx.com", {{10, "cluster5.us.messagelabs.com"}}), kT0 + 5, false, 51427);
  ASSERT_EQ(sink_.events.size(), 1u);
  const Event& e = sink_.events[0];
  EXPECT_EQ(TimestampToMicros(e.time()), kT0 + 5);
  EXPECT_FALSE(e.dns().has_time());  // the query was not seen
  EXPECT_EQ(e.dns().client().ip(), "10.0.0.5");
  EXPECT_EQ(e.dns().client().port(), 51427u);
  EXPECT_EQ(e.dns().server().ip(), "10.0.0.53");
  EXPECT_EQ(e.dns().name(), "mx.com");
  EXPECT_EQ(e.dns().qtype_name(), "MX");
  EXPECT_TRUE(e.dns().answered());
  ASSERT_EQ(e.dns().mx_size(), 1);
  EXPECT_EQ(e.dns().mx(0).exchange(), "cluster5.us.messagelabs.com");
}

TEST_F(DnsObserverTest, RetransmittedQueryAndRepeatedResponseReportedOnce) {
  const Bytes q = Query(42, "example.org", kDnsTypeMx);
  const Bytes r = MxResponse(42, "example.org", {{5, "mail.example.org"}});
  Udp(q, kT0, true);
  Udp(q, kT0 + 1'000'000, true);  // retransmission while waiting
  Udp(r, kT0 + 1'100'000, false);
  Udp(r, kT0 + 1'100'100, false);  // the same response again (e.g. seen twice)
  Udp(q, kT0 + 1'200'000, true);   // a late retransmission after the answer
  Udp(r, kT0 + 1'300'000, false);
  observer_.Finish(kT0 + 2'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(TimestampToMicros(sink_.events[0].time()), kT0);  // the first query's time
}

TEST_F(DnsObserverTest, DifferentIdOrPortIsADifferentQuery) {
  Udp(Query(1, "a.example", kDnsTypeMx), kT0, true, 40000);
  Udp(Query(2, "a.example", kDnsTypeMx), kT0 + 1, true, 40000);
  Udp(Query(1, "a.example", kDnsTypeMx), kT0 + 2, true, 40002);
  EXPECT_EQ(observer_.pending_queries(), 3u);
  observer_.Finish(kT0 + 3);
  EXPECT_EQ(sink_.events.size(), 3u);
}

TEST_F(DnsObserverTest, UnansweredAfterTimeout) {
  Udp(Query(5, "slow.example", kDnsTypeMx), kT0, true);
  observer_.Advance(kT0 + 4'999'999);
  EXPECT_TRUE(sink_.events.empty());
  observer_.Advance(kT0 + 5'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_FALSE(sink_.events[0].dns().answered());
  EXPECT_FALSE(sink_.events[0].dns().has_answer_time());
  EXPECT_EQ(TimestampToMicros(sink_.events[0].time()), kT0);
  // The response arriving late is absorbed, not reported as a second lookup.
  Udp(MxResponse(5, "slow.example", {{1, "mx.slow.example"}}), kT0 + 6'000'000, false);
  observer_.Finish(kT0 + 7'000'000);
  EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_F(DnsObserverTest, FinishFlushesPendingInQueryOrder) {
  Udp(Query(1, "one.example", kDnsTypeMx), kT0, true);
  Udp(Query(2, "two.example", kDnsTypeMx), kT0 + 10, true);
  EXPECT_TRUE(sink_.events.empty());
  observer_.Finish(kT0 + 20);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].dns().name(), "one.example");
  EXPECT_EQ(sink_.events[1].dns().name(), "two.example");
  EXPECT_FALSE(sink_.events[0].dns().answered());
  EXPECT_EQ(observer_.pending_queries(), 0u);
}

TEST_F(DnsObserverTest, UnwatchedTypesIgnored) {
  Udp(Query(1, "www.example", kDnsTypeA), kT0, true);
  Bytes resp = MxResponse(1, "www.example", {});
  // Question type A: 12-byte header + 13-byte name, QTYPE low byte at 26.
  ASSERT_EQ(resp[26], kDnsTypeMx);
  resp[26] = kDnsTypeA;
  Udp(resp, kT0 + 1, false);
  observer_.Finish(kT0 + 2);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(anomalies_.Total(), 0u);
}

TEST_F(DnsObserverTest, WatchedTypesAreConfigurable) {
  DnsObserverOptions options;
  options.watched_qtypes = {kDnsTypeA, kDnsTypeAaaa};
  DnsObserver obs(options, &sink_, &anomalies_);
  Udp(Query(1, "www.example", kDnsTypeMx), kT0, true, 40000, &obs);
  Udp(Query(2, "www.example", kDnsTypeAaaa), kT0, true, 40000, &obs);
  obs.Finish(kT0 + 1);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].dns().qtype_name(), "AAAA");
}

TEST_F(DnsObserverTest, MalformedCountedAndSkipped) {
  Udp(Bytes{1, 2, 3}, kT0, true);
  Bytes loop = Query(1, "x", kDnsTypeMx);
  loop[12] = 0xC0;  // pointer to offset 12: itself
  loop[13] = 12;
  Udp(loop, kT0, true);
  EXPECT_EQ(anomalies_.Get("dns_truncated_header"), 1u);
  EXPECT_EQ(anomalies_.Get("dns_pointer_loop"), 1u);
  observer_.Finish(kT0 + 1);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(DnsObserverTest, IgnoresOtherPortsAndOpcodes) {
  DecodedPacket p;
  const Bytes q = Query(1, "a.example", kDnsTypeMx);
  p.time_us = kT0;
  p.ip_proto = kIpProtoUdp;
  p.src = kClient;
  p.dst = kServer;
  p.src_port = 40000;
  p.dst_port = 5353;
  p.payload = absl::MakeConstSpan(q);
  observer_.OnPacket(p);
  Bytes notify = Query(2, "a.example", kDnsTypeMx);
  notify[2] = 0x20;  // opcode 4 (NOTIFY)
  Udp(notify, kT0, true);
  observer_.Finish(kT0 + 1);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(anomalies_.Total(), 0u);
}

TEST_F(DnsObserverTest, PendingOverflowReportsOldest) {
  DnsObserverOptions options;
  options.max_pending_queries = 2;
  DnsObserver obs(options, &sink_, &anomalies_);
  Udp(Query(1, "one.example", kDnsTypeMx), kT0, true, 40000, &obs);
  Udp(Query(2, "two.example", kDnsTypeMx), kT0 + 1, true, 40000, &obs);
  Udp(Query(3, "three.example", kDnsTypeMx), kT0 + 2, true, 40000, &obs);
  EXPECT_EQ(anomalies_.Get("dns_pending_overflow"), 1u);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].dns().name(), "one.example");
  EXPECT_EQ(obs.pending_queries(), 2u);
  obs.Finish(kT0 + 3);
  EXPECT_EQ(sink_.events.size(), 3u);
}

TEST_F(DnsObserverTest, TcpSeveralMessagesInOneSegment) {
  Bytes seg = Framed(Query(10, "a.example", kDnsTypeMx));
  Bytes second = Framed(Query(11, "b.example", kDnsTypeMx));
  seg.insert(seg.end(), second.begin(), second.end());
  Tcp(seg, kT0, true, 1000);
  Bytes resp = Framed(MxResponse(10, "a.example", {{1, "mx.a.example"}}));
  Bytes resp2 = Framed(MxResponse(11, "b.example", {{2, "mx.b.example"}}));
  resp.insert(resp.end(), resp2.begin(), resp2.end());
  Tcp(resp, kT0 + 100, false, 5000);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].dns().transport(), cleansweep::v1::TRANSPORT_TCP);
  EXPECT_EQ(sink_.events[0].dns().mx(0).exchange(), "mx.a.example");
  EXPECT_EQ(sink_.events[1].dns().mx(0).exchange(), "mx.b.example");
  EXPECT_EQ(anomalies_.Total(), 0u);
}

TEST_F(DnsObserverTest, TcpMessageSplitAcrossSegmentsIsReassembled) {
  Tcp(Framed(Query(10, "a.example", kDnsTypeMx)), kT0, true, 1000);
  const Bytes resp = Framed(MxResponse(10, "a.example", {{1, "mx.a.example"}}));
  // Split after one byte of the length prefix, then in the middle.
  const Bytes p1(resp.begin(), resp.begin() + 1);
  const Bytes p2(resp.begin() + 1, resp.begin() + 20);
  const Bytes p3(resp.begin() + 20, resp.end());
  Tcp(p1, kT0 + 10, false, 5000);
  Tcp(p2, kT0 + 11, false, 5001);
  Tcp(p2, kT0 + 12, false, 5001);  // retransmission of buffered bytes: ignored
  EXPECT_TRUE(sink_.events.empty());
  Tcp(p3, kT0 + 13, false, 5020);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(sink_.events[0].dns().answered());
  EXPECT_EQ(sink_.events[0].dns().mx(0).exchange(), "mx.a.example");
  EXPECT_EQ(anomalies_.Total(), 0u);
}

TEST_F(DnsObserverTest, TcpSplitWithAHoleIsCountedAndSkipped) {
  const Bytes q = Framed(Query(10, "a.example", kDnsTypeMx));
  const Bytes p1(q.begin(), q.begin() + 10);
  const Bytes p3(q.begin() + 15, q.end());
  Tcp(p1, kT0, true, 1000);
  Tcp(p3, kT0 + 1, true, 1015);  // bytes 10..14 never captured
  EXPECT_GE(anomalies_.Get("dns_tcp_split_message"), 1u);
  observer_.Finish(kT0 + 2);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(DnsObserverTest, TcpPartialAtFinishIsCounted) {
  const Bytes q = Framed(Query(10, "a.example", kDnsTypeMx));
  Tcp(Bytes(q.begin(), q.begin() + 5), kT0, true, 1000);
  observer_.Finish(kT0 + 1);
  EXPECT_EQ(anomalies_.Get("dns_tcp_split_message"), 1u);
  EXPECT_TRUE(sink_.events.empty());
}

}  // namespace
}  // namespace cleansweep::agent
