// Replays DNS captures through the real cleansweep-agent binary and compares
// the DNS (MX) events with what peer tools report for the same captures:
// Arkime's session record (dns-mx.test.json, loaded and parsed here),
// suricata-verify's test.yaml counts (cited by file and line), and, where no
// peer output exists, values read off the capture with tshark (command cited).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cleansweep/v1/event.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using ::cleansweep::v1::DnsQuery;
using ::cleansweep::v1::Event;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

std::vector<DnsQuery> DnsQueries(const std::vector<Event>& events) {
  std::vector<DnsQuery> out;
  for (const Event& e : events) {
    if (e.has_dns()) out.push_back(e.dns());
  }
  return out;
}

std::vector<std::pair<uint32_t, std::string>> MxOf(const DnsQuery& q) {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const auto& mx : q.mx()) out.emplace_back(mx.preference(), mx.exchange());
  return out;
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

const google::protobuf::Value& Field(const google::protobuf::Value& v, const std::string& name) {
  static const google::protobuf::Value kNull;
  const auto& fields = v.struct_value().fields();
  auto it = fields.find(name);
  return it == fields.end() ? kNull : it->second;
}

// --- arkime/dns-mx.pcap: one MX query and its answer ------------------------

TEST(DnsGoldenTest, ArkimeDnsMxMatchesArkimeSessionRecord) {
  // The oracle: Arkime's own session record for this capture.
  google::protobuf::Value oracle;
  const std::string json = ReadFileOrDie(TestDataPath("pcap/arkime/dns-mx.test.json"));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &oracle).ok());
  const auto& body = Field(Field(oracle, "sessions3").list_value().values(0), "body");
  const auto& dns = Field(body, "dns").list_value().values(0);
  const auto& source = Field(body, "source");
  const auto& destination = Field(body, "destination");
  std::vector<std::pair<uint32_t, std::string>> expected_mx;
  for (const auto& answer : Field(dns, "answers").list_value().values()) {
    if (Field(answer, "type").string_value() != "MX") continue;
    expected_mx.emplace_back(static_cast<uint32_t>(Field(answer, "priority").number_value()),
                             Field(answer, "mx").string_value());
  }
  ASSERT_EQ(expected_mx.size(), 2u);  // sanity: the oracle really lists two MX answers

  const auto queries = DnsQueries(ReadPcapEvents(TestDataPath("pcap/arkime/dns-mx.pcap")));
  ASSERT_EQ(queries.size(), 1u);
  const DnsQuery& q = queries[0];
  EXPECT_EQ(q.name(), Field(dns, "queryHost").string_value());
  EXPECT_EQ(q.qtype_name(), Field(dns, "qt").string_value());
  EXPECT_EQ(q.qtype(), 15u);
  EXPECT_TRUE(q.answered());
  EXPECT_EQ(q.rcode_name(), Field(dns, "status").string_value());
  EXPECT_EQ(q.client().ip(), Field(source, "ip").string_value());
  EXPECT_EQ(q.client().port(), static_cast<uint32_t>(Field(source, "port").number_value()));
  EXPECT_EQ(q.server().ip(), Field(destination, "ip").string_value());
  EXPECT_EQ(q.server().port(), static_cast<uint32_t>(Field(destination, "port").number_value()));
  EXPECT_EQ(q.transport(), cleansweep::v1::TRANSPORT_UDP);
  EXPECT_EQ(q.id(), 0x4c17u);  // "srcPayload8" : "4c17010000010000" — the id is the first 2 bytes
  EXPECT_THAT(MxOf(q), UnorderedElementsAreArray(expected_mx));
  // "mailserverHost" lists the same exchanges.
  std::vector<std::string> hosts;
  for (const auto& h : Field(dns, "mailserverHost").list_value().values()) {
    hosts.push_back(h.string_value());
  }
  std::vector<std::string> ours;
  for (const auto& mx : q.mx()) ours.push_back(mx.exchange());
  EXPECT_THAT(ours, UnorderedElementsAreArray(hosts));
  // Arkime's firstPacket/lastPacket are milliseconds: query and answer times.
  EXPECT_EQ(Micros(q.time()) / 1000,
            static_cast<int64_t>(Field(body, "firstPacket").number_value()));
  EXPECT_EQ(Micros(q.answer_time()) / 1000,
            static_cast<int64_t>(Field(body, "lastPacket").number_value()));
}

// --- zeek/dns-long-connection-MX.pcap ----------------------------------------
// Zeek ships no baseline log for this trace among our copies (pcap/zeek/baselines
// holds only smtp/intel/weird logs). Values hand-checked with
//   tshark -r dns-long-connection-MX.pcap -T fields -e frame.time_epoch -e ip.src
//     -e udp.srcport -e ip.dst -e udp.dstport -e dns.id -e dns.qry.name
//     -e dns.mx.preference -e dns.mx.mail_exchange
// frame 1: 1112172470.501268 192.168.170.8 32795 → 192.168.170.20 53, 0xf76f google.com
// frame 2: 1112172471.333401, MX 40 smtp4, 10 smtp5, 10 smtp6, 10 smtp1, 10 smtp2, 40 smtp3
// The other 10 queries (LOC, PTR, A, AAAA, ANY) are not MX and must not be reported.

TEST(DnsGoldenTest, ZeekLongConnectionMxReportsTheOneMxLookup) {
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath("pcap/zeek/dns-long-connection-MX.pcap")));
  ASSERT_EQ(queries.size(), 1u);
  const DnsQuery& q = queries[0];
  EXPECT_EQ(q.client().ip(), "192.168.170.8");
  EXPECT_EQ(q.client().port(), 32795u);
  EXPECT_EQ(q.server().ip(), "192.168.170.20");
  EXPECT_EQ(q.server().port(), 53u);
  EXPECT_EQ(q.id(), 0xf76fu);
  EXPECT_EQ(q.name(), "google.com");
  EXPECT_EQ(q.qtype_name(), "MX");
  EXPECT_TRUE(q.answered());
  EXPECT_EQ(q.rcode_name(), "NOERROR");
  EXPECT_EQ(Micros(q.time()), 1112172470501268);
  EXPECT_EQ(Micros(q.answer_time()), 1112172471333401);
  EXPECT_THAT(MxOf(q), ElementsAre(Pair(40, "smtp4.google.com"), Pair(10, "smtp5.google.com"),
                                   Pair(10, "smtp6.google.com"), Pair(10, "smtp1.google.com"),
                                   Pair(10, "smtp2.google.com"), Pair(40, "smtp3.google.com")));
}

TEST(DnsGoldenTest, ZeekLongConnectionAllTypesWhenAsked) {
  // With every type of the trace watched (A 1, PTR 12, MX 15, AAAA 28, LOC 29,
  // ANY 255) each of its 11 query/response pairs is one event, all answered;
  // the AAAA for www.example.notginh got NXDOMAIN (tshark: "No such name").
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath("pcap/zeek/dns-long-connection-MX.pcap"),
                                {"--dns-qtypes", "1,12,15,28,29,255"}));
  ASSERT_EQ(queries.size(), 11u);
  int nxdomain = 0;
  for (const auto& q : queries) {
    EXPECT_TRUE(q.answered()) << q.name();
    if (q.rcode_name() == "NXDOMAIN") {
      ++nxdomain;
      EXPECT_EQ(q.name(), "www.example.notginh");
    }
  }
  EXPECT_EQ(nxdomain, 1);
}

// --- suricata-verify: dns-udp-google.com-a-aaaa-mx.pcap ----------------------
// Used by three suricata-verify tests: dns_dns-udp-eve-log-answer-only (its
// home), dns_dns-udp-eve-log-mx-only and dns_v2_dns-udp-eve-log-mx-only
// (their test.yaml line 4 resp. 1: `pcap: ../../[../]dns/dns-udp-eve-log-answer-only/...`).

const char kGooglePcap[] =
    "pcap/suricata-verify/dns_dns-udp-eve-log-answer-only/dns-udp-google.com-a-aaaa-mx.pcap";

TEST(DnsGoldenTest, SuricataMxOnlyOneMxQueryOneMxAnswer) {
  // dns_dns-udp-eve-log-mx-only/test.yaml lines 7-15: count 1 request, with
  // queries[0].rrtype "MX"; lines 16-24: count 1 response, with answers[0].rrtype
  // "MX" (suricata.yaml there: types [mx]). dns_v2_dns-udp-eve-log-mx-only/test.yaml
  // lines 3-19 say the same in the v2 format. Our one event carries both. Exchanges and the query name
  // hand-checked with tshark (frame 6: MX 10 aspmx.l.google.com ... 50 alt4).
  const auto queries = DnsQueries(ReadPcapEvents(TestDataPath(kGooglePcap)));
  ASSERT_EQ(queries.size(), 1u);
  const DnsQuery& q = queries[0];
  EXPECT_EQ(q.qtype_name(), "MX");
  EXPECT_EQ(q.name(), "google.com");
  EXPECT_EQ(q.client().ip(), "10.16.1.11");
  EXPECT_EQ(q.server().ip(), "8.8.8.8");
  EXPECT_TRUE(q.answered());
  EXPECT_THAT(MxOf(q), ElementsAre(Pair(10, "aspmx.l.google.com"),
                                   Pair(20, "alt1.aspmx.l.google.com"),
                                   Pair(30, "alt2.aspmx.l.google.com"),
                                   Pair(40, "alt3.aspmx.l.google.com"),
                                   Pair(50, "alt4.aspmx.l.google.com")));
}

TEST(DnsGoldenTest, SuricataAnswerOnlyThreeResponses) {
  // dns_dns-udp-eve-log-answer-only/test.yaml lines 9-12: count 3 responses
  // (A, AAAA and MX for google.com; lines 5-8: no requests logged). Watching all three types, each response
  // completes one event.
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath(kGooglePcap), {"--dns-qtypes", "1,28,15"}));
  ASSERT_EQ(queries.size(), 3u);
  std::vector<std::string> types;
  for (const auto& q : queries) {
    EXPECT_TRUE(q.answered());
    EXPECT_EQ(q.name(), "google.com");
    types.push_back(q.qtype_name());
  }
  EXPECT_THAT(types, UnorderedElementsAre("A", "AAAA", "MX"));
  // tshark: the AAAA answer is 2607:f8b0:400f:801::200e; the A answer has 12 addresses.
  for (const auto& q : queries) {
    if (q.qtype_name() == "AAAA") {
      EXPECT_THAT(q.answers(), ElementsAre("2607:f8b0:400f:801::200e"));
    }
    if (q.qtype_name() == "A") {
      EXPECT_EQ(q.answers_size(), 12);
    }
  }
}

// --- suricata-verify/dns-eve-type-filtering ----------------------------------

const char kFilteringPcap[] = "pcap/suricata-verify/dns-eve-type-filtering/test.pcap";

TEST(DnsGoldenTest, SuricataTypeFilteringMxResponses) {
  // test.yaml lines 74-91: mx-responses-only.json has 3 dns records, all
  // answers, all rrtype MX. With the default (MX) watch we report 3 answered
  // lookups. tshark: www.suricata-ids.org (CNAME + SOA, no MX), suricata-ids.org
  // (SOA only), oisf.net (5 MX).
  const auto queries = DnsQueries(ReadPcapEvents(TestDataPath(kFilteringPcap)));
  ASSERT_EQ(queries.size(), 3u);
  for (const auto& q : queries) {
    EXPECT_EQ(q.qtype_name(), "MX");
    EXPECT_TRUE(q.answered());
    EXPECT_EQ(q.rcode_name(), "NOERROR");
  }
  auto oisf = std::find_if(queries.begin(), queries.end(),
                           [](const DnsQuery& q) { return q.name() == "oisf.net"; });
  ASSERT_NE(oisf, queries.end());
  EXPECT_THAT(MxOf(*oisf), UnorderedElementsAre(Pair(5, "alt2.aspmx.l.google.com"),
                                                Pair(5, "alt1.aspmx.l.google.com"),
                                                Pair(10, "aspmx3.googlemail.com"),
                                                Pair(10, "aspmx2.googlemail.com"),
                                                Pair(1, "aspmx.l.google.com")));
}

TEST(DnsGoldenTest, SuricataTypeFilteringOnlyA) {
  // test.yaml lines 12-24: only-a.json has 4 records (2 queries + 2 answers),
  // all rrtype A; lines 26-45: the first query is pcap_cnt 1 from
  // 10.16.1.11:54888 to 8.8.8.8:53 and its answer is pcap_cnt 2.
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath(kFilteringPcap), {"--dns-qtypes", "1"}));
  ASSERT_EQ(queries.size(), 2u);
  for (const auto& q : queries) {
    EXPECT_EQ(q.qtype_name(), "A");
    EXPECT_TRUE(q.answered());
  }
  auto first = std::find_if(queries.begin(), queries.end(),
                            [](const DnsQuery& q) { return q.client().port() == 54888; });
  ASSERT_NE(first, queries.end());
  EXPECT_EQ(first->client().ip(), "10.16.1.11");
  EXPECT_EQ(first->server().ip(), "8.8.8.8");
  EXPECT_EQ(first->server().port(), 53u);
}

TEST(DnsGoldenTest, SuricataTypeFilteringAAndAaaaRequests) {
  // test.yaml lines 47-71: a-and-aaaa-requests-only.json has 4 queries, 2 A and 2 AAAA.
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath(kFilteringPcap), {"--dns-qtypes", "1,28"}));
  ASSERT_EQ(queries.size(), 4u);
  int a = 0, aaaa = 0;
  for (const auto& q : queries) {
    a += q.qtype_name() == "A";
    aaaa += q.qtype_name() == "AAAA";
  }
  EXPECT_EQ(a, 2);
  EXPECT_EQ(aaaa, 2);
}

TEST(DnsGoldenTest, SuricataTypeFilteringAll) {
  // test.yaml lines 5-10: all.json has 14 dns records = 7 queries + 7 answers;
  // the capture's types are A, AAAA and MX, so watching those gives 7 lookups.
  const auto queries =
      DnsQueries(ReadPcapEvents(TestDataPath(kFilteringPcap), {"--dns-qtypes", "1,28,15"}));
  ASSERT_EQ(queries.size(), 7u);
  for (const auto& q : queries) EXPECT_TRUE(q.answered()) << q.name();
}

}  // namespace
}  // namespace cleansweep::testing
