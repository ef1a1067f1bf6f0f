// The API's answers for a store built by hand. Every expected number is
// worked out in the comments from the heartbeats, events and findings below.
#include "collector/web/status_api.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using google::protobuf::Struct;
using google::protobuf::Value;

// 2026-11-27T12:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(1795780800);
constexpr char kHostile[] = "<script>alert(1)</script>";

Struct Parse(const std::string& json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(status.ok()) << status << "\n" << json;
  return s;
}
const Value& At(const Struct& s, const std::string& path) {
  const Struct* cur = &s;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    const Value& v = cur->fields().at(key);
    if (dot == std::string::npos) return v;
    cur = &v.struct_value();
    start = dot + 1;
  }
}
double Num(const Struct& s, const std::string& path) { return At(s, path).number_value(); }
std::string Str(const Struct& s, const std::string& path) { return At(s, path).string_value(); }

cleansweep::v1::Heartbeat Beat(absl::Time t, uint64_t received, uint64_t dropped) {
  cleansweep::v1::Heartbeat h;
  h.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  h.set_interval_seconds(600);
  auto* i = h.add_interfaces();
  i->set_name("eth0");
  i->set_received(received);
  i->set_dropped(dropped);
  i->set_up(true);
  return h;
}

cleansweep::v1::Event Smtp(uint64_t seq, absl::Time t, const char* client, const char* server) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  e.mutable_smtp()->mutable_client()->set_ip(client);
  e.mutable_smtp()->mutable_client()->set_port(40000 + static_cast<uint32_t>(seq));
  e.mutable_smtp()->mutable_server()->set_ip(server);
  e.mutable_smtp()->mutable_server()->set_port(25);
  return e;
}

cleansweep::v1::Finding MakeFinding(const char* host, const char* agent, const char* rule,
                                    cleansweep::v1::Severity severity, absl::Time first,
                                    absl::Time fired, absl::Time last) {
  cleansweep::v1::Finding f;
  f.set_host(host);
  f.set_agent_id(agent);
  f.set_rule(rule);
  f.set_severity(severity);
  f.set_signal(cleansweep::v1::SIGNAL_SMTP_EXTERNAL_DESTINATIONS);
  f.mutable_window()->set_seconds(120);
  f.set_threshold(10);
  f.set_peak(12);
  f.set_total(12);
  f.mutable_first_time()->set_seconds(absl::ToUnixSeconds(first));
  f.mutable_fired_time()->set_seconds(absl::ToUnixSeconds(fired));
  f.mutable_last_time()->set_seconds(absl::ToUnixSeconds(last));
  f.set_rules_digest("d1");
  return f;
}

class StatusApiTest : public test_util::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    EventStore& s = *store_;
    ASSERT_TRUE(s.ReplaceInventory({{"ws-a", "", "alice", {}},
                                    {"ws-b", "", "", {}},
                                    {kHostile, "", "", {}}},
                                   kNow)
                    .ok());
    // ws-a (agent-a): a heartbeat every 10 min from 00:00 to 12:00 (i = 0..72):
    // covered 43200 s = 50 % of the day, 7.143 % of the week; reporting.
    // Counters +1000 received / +1 dropped per step: 72000 / 72 over 72 steps.
    const AgentIdentity a{"agent-a", "ws-a", "1.0", "test"};
    ASSERT_TRUE(s.UpsertAgent(a, kNow - absl::Hours(12)).ok());
    for (int i = 0; i <= 72; ++i) {
      const absl::Time t = kNow - absl::Hours(12) + absl::Minutes(10 * i);
      ASSERT_TRUE(s.RecordHeartbeat("agent-a", Beat(t, 1000u * i, i), t).ok());
    }
    cleansweep::v1::HostFacts facts;
    facts.set_hostname("ws-a");
    facts.mutable_time()->set_seconds(absl::ToUnixSeconds(kNow - absl::Hours(12)));
    auto* eth = facts.add_interfaces();
    eth->set_name("eth0");
    eth->set_mac("02:00:00:00:00:0a");
    eth->add_addresses("10.0.0.5");
    eth->set_up(true);
    ASSERT_TRUE(s.RecordHostFacts("agent-a", facts, kNow - absl::Hours(12)).ok());
    // SMTP of agent-a: two at 10:30 and one at 11:30 count (buckets 21 and
    // 22 of the hours from 2026-11-26T13:00Z); one 25 h ago does not.
    ASSERT_TRUE(s.AppendEvents(a,
                               std::vector<cleansweep::v1::Event>{Smtp(1, kNow - absl::Minutes(90), "10.0.0.5", "10.0.0.25"),
                                Smtp(2, kNow - absl::Minutes(90), "10.0.0.5", "10.0.0.25"),
                                Smtp(3, kNow - absl::Minutes(30), "10.0.0.5", "203.0.113.7"),
                                Smtp(4, kNow - absl::Hours(25), "10.0.0.5", "203.0.113.7")},
                               kNow)
                    .ok());
    // ws-b (agent-b): every 10 min from 09:00 to 10:00: 3600 s = 4.167 %;
    // silent since 10:00 (2 h > 2.5 intervals); 60 packets received, none dropped.
    const AgentIdentity b{"agent-b", "ws-b", "1.0", "test"};
    ASSERT_TRUE(s.UpsertAgent(b, kNow - absl::Hours(3)).ok());
    for (int i = 0; i <= 6; ++i) {
      const absl::Time t = kNow - absl::Hours(3) + absl::Minutes(10 * i);
      ASSERT_TRUE(s.RecordHeartbeat("agent-b", Beat(t, 10u * i, 0), t).ok());
    }
    // rogue (agent-x): not in the inventory, one event, no heartbeat: silent
    // since its last-seen time 11:30, nothing covered.
    const AgentIdentity x{"agent-x", "rogue", "1.0", "test"};
    ASSERT_TRUE(
        s.AppendEvents(x,
                       std::vector<cleansweep::v1::Event>{
                           Smtp(1, kNow - absl::Minutes(40), "10.0.0.9", "203.0.113.7")},
                       kNow - absl::Minutes(30))
            .ok());
    // Findings: rogue mass-mailing (by agent id); a notice for the address
    // ws-a holds, named by another agent (by address); an older one of ws-a
    // three days ago (7 days, not 24 h).
    auto mass = MakeFinding("10.0.0.9", "agent-x", "smtp_burst",
                            cleansweep::v1::SEVERITY_MASS_MAILING, kNow - absl::Minutes(40),
                            kNow - absl::Minutes(35), kNow - absl::Minutes(30));
    auto* ev = mass.add_evidence();
    ev->set_agent_id("agent-x");
    ev->set_sequence(1);
    ev->mutable_time()->set_seconds(absl::ToUnixSeconds(kNow - absl::Minutes(40)));
    ASSERT_TRUE(s.ReplaceHostFindings("10.0.0.9", {mass}, kNow).ok());
    auto notice = MakeFinding("10.0.0.5", "someone-else", "dev_test_mail",
                              cleansweep::v1::SEVERITY_NOTICE, kNow - absl::Hours(2),
                              kNow - absl::Hours(2), kNow - absl::Hours(2) + absl::Minutes(1));
    auto old = MakeFinding("10.0.0.5", "agent-a", "old_rule", cleansweep::v1::SEVERITY_SUSPICIOUS,
                           kNow - absl::Hours(72), kNow - absl::Hours(72),
                           kNow - absl::Hours(72));
    ASSERT_TRUE(s.ReplaceHostFindings("10.0.0.5", {notice, old}, kNow).ok());

    absl::StatusOr<StatusSnapshot> snap = LoadStatusSnapshot(s, kNow);
    ASSERT_TRUE(snap.ok()) << snap.status();
    snap_ = *std::move(snap);
  }

  StatusSnapshot snap_;
};

TEST_F(StatusApiTest, FleetCountsStatusesVerdictsCoverageAndLoss) {
  const std::string json = FleetJson(snap_);
  const Struct f = Parse(json);
  EXPECT_EQ(Str(f, "now"), "2026-11-27T12:00:00Z");
  EXPECT_EQ(Str(f, "window.from"), "2026-11-26T12:00:00Z");
  EXPECT_EQ(Num(f, "hosts.total"), 4);
  EXPECT_EQ(Num(f, "hosts.expected"), 3);
  EXPECT_EQ(Num(f, "hosts.unexpected"), 1);
  EXPECT_EQ(Num(f, "hosts.reporting"), 1);
  EXPECT_EQ(Num(f, "hosts.silent"), 2);
  EXPECT_EQ(Num(f, "hosts.neverReported"), 1);
  EXPECT_EQ(Num(f, "verdicts.unknown"), 1);  // the never-reported host
  EXPECT_EQ(Num(f, "verdicts.clean"), 1);    // ws-b
  EXPECT_EQ(Num(f, "verdicts.notice"), 1);   // ws-a
  EXPECT_EQ(Num(f, "verdicts.mass-mailing"), 1);
  EXPECT_EQ(Num(f, "verdicts.suspicious"), 0);  // three days old
  // (50 + 4.1667 + 0 + 0) / 4 hosts.
  EXPECT_THAT(json, HasSubstr(R"("coverage24h":{"percent":13.542,"full":0,"partial":2,"none":2})"));
  // 72 of 72000 + 60 packets.
  EXPECT_THAT(json, HasSubstr(R"("captureLoss":{"received":72060,"dropped":72,)"
                              R"("interfaceDropped":0,"percent":0.100})"));
  EXPECT_EQ(Num(f, "findings"), 2);
  EXPECT_EQ(Num(f, "eventsStored"), 5);
  EXPECT_TRUE(At(f, "lastSweep").has_null_value());
  // Worst first, then silent (longest first), then never reported.
  const auto& attention = At(f, "attention").list_value().values();
  ASSERT_EQ(attention.size(), 4);
  EXPECT_EQ(Str(attention[0].struct_value(), "key"), "agent-x");
  EXPECT_EQ(Str(attention[0].struct_value(), "reason"), "mass-mailing: 1 finding in 24 h");
  EXPECT_EQ(Str(attention[1].struct_value(), "key"), "agent-a");
  EXPECT_EQ(Str(attention[2].struct_value(), "key"), "agent-b");
  EXPECT_EQ(Str(attention[2].struct_value(), "reason"), "silent since 2026-11-27T10:00:00Z");
  EXPECT_EQ(Str(attention[3].struct_value(), "hostname"), kHostile);
  EXPECT_THAT(json, Not(HasSubstr("<")));
}

TEST_F(StatusApiTest, HostsListEscapesAgentStringsAndFilters) {
  absl::StatusOr<HostsQuery> q = ParseHostsQuery({{"q", "SCRIPT"}});
  ASSERT_TRUE(q.ok());
  const std::string json = HostsJson(snap_, *q);
  EXPECT_THAT(json, HasSubstr(R"("hostname":"\u003cscript\u003ealert(1)\u003c/script\u003e")"));
  EXPECT_THAT(json, Not(HasSubstr("<")));
  const Struct r = Parse(json);
  EXPECT_EQ(Num(r, "total"), 1);
  EXPECT_EQ(Num(r, "all"), 4);
  const Struct& h = At(r, "hosts").list_value().values(0).struct_value();
  EXPECT_EQ(Str(h, "hostname"), kHostile);  // what a JSON reader gets back
  EXPECT_EQ(Str(h, "key"), kHostile);
  EXPECT_EQ(Str(h, "status"), "never reported");
  EXPECT_EQ(Str(h, "verdict"), "unknown");
  // Nothing covered: the whole week is one uncovered stretch.
  const auto& week = At(h, "coverage7d.uncovered").list_value().values();
  ASSERT_EQ(week.size(), 1);
  EXPECT_EQ(Str(week[0].struct_value(), "from"), "2026-11-20T12:00:00Z");
}

TEST_F(StatusApiTest, HostsListRowOfAReportingHost) {
  absl::StatusOr<HostsQuery> q = ParseHostsQuery({{"status", "reporting"}});
  ASSERT_TRUE(q.ok());
  const Struct r = Parse(HostsJson(snap_, *q));
  ASSERT_EQ(Num(r, "total"), 1);
  const Struct& h = At(r, "hosts").list_value().values(0).struct_value();
  EXPECT_EQ(Str(h, "key"), "agent-a");
  EXPECT_EQ(Str(h, "hostname"), "ws-a");
  EXPECT_EQ(Str(h, "owner"), "alice");
  EXPECT_EQ(At(h, "addresses").list_value().values(0).string_value(), "10.0.0.5");
  EXPECT_EQ(Num(h, "coverage24h.percent"), 50);
  EXPECT_EQ(Num(h, "coverage24h.coveredSeconds"), 43200);
  EXPECT_NEAR(Num(h, "coverage7d.percent"), 7.143, 1e-9);
  EXPECT_EQ(Num(h, "captureLoss.received"), 72000);
  EXPECT_EQ(Num(h, "captureLoss.dropped"), 72);
  EXPECT_EQ(Str(h, "verdict"), "notice");
  EXPECT_EQ(Num(h, "findings"), 1);
  EXPECT_EQ(Str(h, "lastHeartbeat"), "2026-11-27T12:00:00Z");
  EXPECT_TRUE(At(h, "silentSince").has_null_value());
}

TEST_F(StatusApiTest, HostPageHasTimelinesEgressAndFindingsWithEvidence) {
  absl::StatusOr<std::string> json = HostJson(*store_, snap_, "agent-a", nullptr);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(
      R"("24h":{"from":"2026-11-26T12:00:00Z","to":"2026-11-27T12:00:00Z","percent":50.000,)"
      R"("covered":[{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T12:00:00Z"}],)"
      R"("uncovered":[{"from":"2026-11-26T12:00:00Z","to":"2026-11-27T00:00:00Z"}]})"));
  EXPECT_THAT(*json, HasSubstr(
      R"("7d":{"from":"2026-11-20T12:00:00Z","to":"2026-11-27T12:00:00Z","percent":7.143,)"
      R"("covered":[{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T12:00:00Z"}],)"));
  const Struct d = Parse(*json);
  EXPECT_EQ(Str(d, "host.hostname"), "ws-a");
  EXPECT_FALSE(At(d, "egress.classified").bool_value());
  EXPECT_EQ(Num(d, "egress.events"), 3);
  const auto& buckets = At(d, "egress.buckets").list_value().values();
  ASSERT_EQ(buckets.size(), 24);
  EXPECT_EQ(Num(buckets[21].struct_value(), "unclassified"), 2);
  EXPECT_EQ(Num(buckets[22].struct_value(), "unclassified"), 1);
  EXPECT_EQ(Str(buckets[21].struct_value(), "start"), "2026-11-27T10:00:00Z");
  // The week's two findings of ws-a, newest first; attributed by address.
  EXPECT_EQ(Num(d, "findingsTotal"), 2);
  const auto& findings = At(d, "findings").list_value().values();
  ASSERT_EQ(findings.size(), 2);
  EXPECT_EQ(Str(findings[0].struct_value(), "rule"), "dev_test_mail");
  EXPECT_EQ(Str(findings[0].struct_value(), "hostKey"), "agent-a");
  EXPECT_EQ(Str(findings[0].struct_value(), "severity"), "notice");
  EXPECT_EQ(Str(findings[0].struct_value(), "signal"), "smtp_external_destinations");
  EXPECT_EQ(Str(findings[1].struct_value(), "rule"), "old_rule");
  EXPECT_EQ(At(d, "sweeps").list_value().values_size(), 0);

  // By hostname (case ignored), and the hostile one by its name.
  EXPECT_TRUE(HostJson(*store_, snap_, "WS-A", nullptr).ok());
  absl::StatusOr<std::string> hostile = HostJson(*store_, snap_, kHostile, nullptr);
  ASSERT_TRUE(hostile.ok()) << hostile.status();
  EXPECT_THAT(*hostile, Not(HasSubstr("<")));
  EXPECT_EQ(Num(Parse(*hostile), "egress.events"), 0);
  EXPECT_TRUE(absl::IsNotFound(HostJson(*store_, snap_, "nope", nullptr).status()));
}

TEST_F(StatusApiTest, FindingsNewestFirstWithEvidenceFromTheStore) {
  absl::StatusOr<std::string> json = FindingsJson(*store_, snap_, {});
  ASSERT_TRUE(json.ok()) << json.status();
  const Struct r = Parse(*json);
  EXPECT_EQ(Num(r, "total"), 2);  // the three-day-old one is before the default 24 h
  const auto& list = At(r, "findings").list_value().values();
  ASSERT_EQ(list.size(), 2);
  const Struct& mass = list[0].struct_value();
  EXPECT_EQ(Str(mass, "rule"), "smtp_burst");
  EXPECT_EQ(Str(mass, "hostKey"), "agent-x");
  EXPECT_EQ(Str(mass, "hostname"), "rogue");
  EXPECT_EQ(Str(mass, "firedTime"), "2026-11-27T11:25:00Z");
  const Struct& evidence = At(mass, "evidence").list_value().values(0).struct_value();
  EXPECT_EQ(Num(evidence, "sequence"), 1);
  EXPECT_THAT(Str(evidence, "summary"), HasSubstr("10.0.0.9:40001"));
  EXPECT_THAT(Str(evidence, "summary"), HasSubstr("203.0.113.7:25"));
  EXPECT_EQ(Str(list[1].struct_value(), "hostname"), "ws-a");

  auto total = [&](std::map<std::string, std::string> params) {
    absl::StatusOr<std::string> j = FindingsJson(*store_, snap_, params);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? Num(Parse(*j), "total") : -1;
  };
  EXPECT_EQ(total({{"since", "7d"}}), 3);
  EXPECT_EQ(total({{"q", "ROGUE"}}), 1);
  EXPECT_EQ(total({{"q", "10.0.0.5"}}), 1);
  EXPECT_EQ(total({{"severity", "notice"}}), 1);
  EXPECT_EQ(total({{"since", "7d"}, {"limit", "1"}, {"offset", "2"}}), 3);
  EXPECT_TRUE(absl::IsInvalidArgument(FindingsJson(*store_, snap_, {{"since", "soon"}}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(FindingsJson(*store_, snap_, {{"severity", "bad"}}).status()));
}

TEST_F(StatusApiTest, MetricsInPrometheusTextFormat) {
  LiveCounters live;
  live.connected_agents = 2;
  live.events_ingested = 7;
  live.store_bytes = 4096;
  const std::string text = MetricsText(snap_, live);
  for (const char* line : {
           "# TYPE cleansweep_events_ingested_total counter\ncleansweep_events_ingested_total 7\n",
           "\ncleansweep_events_stored 5\n",
           "\ncleansweep_agents_connected 2\n",
           "\ncleansweep_hosts{status=\"reporting\"} 1\n",
           "\ncleansweep_hosts{status=\"silent\"} 2\n",
           "\ncleansweep_hosts{status=\"never_reported\"} 1\n",
           "\ncleansweep_hosts_expected 3\n",
           "\ncleansweep_hosts_verdict{verdict=\"mass-mailing\"} 1\n",
           "\ncleansweep_hosts_verdict{verdict=\"unknown\"} 1\n",
           "\ncleansweep_findings{severity=\"mass-mailing\"} 1\n",
           "\ncleansweep_findings{severity=\"notice\"} 1\n",
           "\ncleansweep_findings{severity=\"suspicious\"} 0\n",
           "\ncleansweep_capture_packets_received 72060\n",
           "\ncleansweep_capture_packets_dropped 72\n",
           "\ncleansweep_store_size_bytes 4096\n"}) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  // Without live counters those families are left out, not shown as 0.
  const std::string bare = MetricsText(snap_, LiveCounters{});
  EXPECT_THAT(bare, Not(HasSubstr("cleansweep_agents_connected")));
  EXPECT_THAT(bare, Not(HasSubstr("cleansweep_events_ingested_total")));
  EXPECT_THAT(bare, HasSubstr("cleansweep_events_stored 5\n"));
}

}  // namespace
}  // namespace cleansweep::collector::web
