// `cleansweep-collector inventory import` and `hosts` as an operator runs them:
// the real binary on a real SQLite file filled through the store API.
// Expected coverage, loss and status values are computed by hand (in the
// comments) from the heartbeat times and counters inserted here.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/support/agent_runner.h"

namespace cleansweep::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// 2026-11-27T12:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(1795780800);

class HostsCliTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
  }
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), CollectorBinary());
    return RunProcess(args);
  }
  // `hosts --json --now kNow`, one parsed object per hostname+agent.
  std::map<std::string, google::protobuf::Struct> Hosts() {
    ProcessResult r =
        Run({"hosts", "--db", Path("c.db"), "--json", "--now", "2026-11-27T12:00:00Z"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    std::map<std::string, google::protobuf::Struct> out;
    for (absl::string_view line : absl::StrSplit(r.stdout_text, '\n', absl::SkipEmpty())) {
      google::protobuf::Struct s;
      auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &s);
      EXPECT_TRUE(status.ok()) << line;
      out[s.fields().at("hostname").string_value()] = s;
    }
    return out;
  }

  static cleansweep::v1::Heartbeat Beat(absl::Time t, uint64_t received, uint64_t dropped) {
    cleansweep::v1::Heartbeat h;
    h.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
    h.set_interval_seconds(60);
    auto* i = h.add_interfaces();
    i->set_name("eth0");
    i->set_received(received);
    i->set_dropped(dropped);
    i->set_up(true);
    return h;
  }

  TempDir dir_;
};

double Number(const google::protobuf::Struct& s, const std::string& key) {
  return s.fields().at(key).number_value();
}
std::string Text(const google::protobuf::Struct& s, const std::string& key) {
  return s.fields().at(key).string_value();
}

TEST_F(HostsCliTest, BadRowImportsNothingAndGoodImportReplaces) {
  Write("old.csv", "hostname\nold-host\n");
  ProcessResult first = Run({"inventory", "import", "--db", Path("c.db"), Path("old.csv")});
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_THAT(first.stdout_text, HasSubstr("imported 1 host"));

  Write("bad.csv",
        "hostname,mac,owner\n"
        "ws-good,00:11:22:33:44:55,alice\n"
        "ws-bad,00:11:22:33:44:GG,bob\n"
        "ws-good,,carol\n"
        ",,dave\n");
  ProcessResult bad = Run({"inventory", "import", "--db", Path("c.db"), Path("bad.csv")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.stderr_text, HasSubstr(Path("bad.csv") + ":3: bad MAC address"));
  EXPECT_THAT(bad.stderr_text,
              HasSubstr(Path("bad.csv") + ":4: duplicate hostname \"ws-good\" (first on line 2)"));
  EXPECT_THAT(bad.stderr_text, HasSubstr(Path("bad.csv") + ":5: empty hostname"));
  EXPECT_THAT(bad.stderr_text, HasSubstr("nothing imported"));
  auto after_bad = Hosts();
  ASSERT_EQ(after_bad.size(), 1u);  // still the previous list, no row of bad.csv
  EXPECT_EQ(after_bad.count("old-host"), 1u);

  Write("good.csv", "hostname,mac,owner\nws-a,00-11-22-33-44-55,alice\nws-b,,\n");
  ProcessResult good = Run({"inventory", "import", "--db", Path("c.db"), Path("good.csv")});
  ASSERT_EQ(good.exit_code, 0) << good.stderr_text;
  EXPECT_THAT(good.stdout_text, HasSubstr("imported 2 hosts"));
  auto hosts = Hosts();
  ASSERT_EQ(hosts.size(), 2u);  // old-host was replaced
  EXPECT_EQ(Text(hosts["ws-a"], "mac"), "00:11:22:33:44:55");
  EXPECT_EQ(Text(hosts["ws-a"], "owner"), "alice");
  EXPECT_EQ(Text(hosts["ws-b"], "status"), "never reported");
}

TEST_F(HostsCliTest, MissingCsvIsARuntimeFailureNamingTheFile) {
  ProcessResult r = Run({"inventory", "import", "--db", Path("c.db"), Path("nope.csv")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr(Path("nope.csv")));
  EXPECT_EQ(Run({"inventory", "import", "--db", Path("c.db")}).exit_code, 2);
  EXPECT_EQ(Run({"hosts", "--db", Path("c.db"), "--now", "someday"}).exit_code, 2);
}

TEST_F(HostsCliTest, ReportingSilentAndNeverReportedHosts) {
  Write("inv.csv", "hostname,mac,owner\nws-reporting,,alice\nws-silent,,bob\nws-never,,carol\n");
  ProcessResult imported = Run({"inventory", "import", "--db", Path("c.db"), Path("inv.csv")});
  ASSERT_EQ(imported.exit_code, 0) << imported.stderr_text;
  {
    auto store = collector::OpenSqliteEventStore(Path("c.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    collector::EventStore& s = **store;

    // ws-reporting: a heartbeat every 60 s from now-12h to now, except none
    // strictly between now-8h and now-7h. Step i is at now-12h + i min,
    // i = 0..240 and 300..720. Runs [now-12h, now-8h] and [now-7h, now]:
    // covered 4 h + 7 h = 39600 s of 86400 s = 45.833 %. Counters grow by
    // 1000 received / 1 dropped per step; loss counts the 240 + 420 = 660
    // steps inside runs: 660000 received, 660 dropped = 0.1 %.
    const collector::AgentIdentity reporting{"agent-r", "ws-reporting", "1.0", "test"};
    ASSERT_TRUE(s.UpsertAgent(reporting, kNow - absl::Hours(12)).ok());
    for (int i = 0; i <= 720; ++i) {
      if (i > 240 && i < 300) continue;
      const absl::Time t = kNow - absl::Hours(12) + absl::Minutes(i);
      ASSERT_TRUE(s.RecordHeartbeat("agent-r", Beat(t, 1000u * i, i), t).ok());
    }
    // One lost-event gap (sequences 1..2) recorded an hour ago.
    std::vector<cleansweep::v1::Event> events(1);
    events[0].set_sequence(3);
    events[0].mutable_smtp()->mutable_client()->set_ip("10.0.0.5");
    events[0].mutable_smtp()->mutable_server()->set_ip("192.0.2.25");
    ASSERT_TRUE(s.AppendEvents(reporting, events, kNow - absl::Hours(1)).ok());
    ASSERT_TRUE(s.RecordLostBefore(reporting, 3, kNow - absl::Hours(1)).ok());

    // ws-silent: every 60 s from now-3h to now-2h (10:00:00Z): 1 h covered
    // = 4.167 %; silent since 10:00:00Z (more than 150 s before now).
    const collector::AgentIdentity silent{"agent-s", "ws-silent", "1.0", "test"};
    ASSERT_TRUE(s.UpsertAgent(silent, kNow - absl::Hours(3)).ok());
    for (int i = 0; i <= 60; ++i) {
      const absl::Time t = kNow - absl::Hours(3) + absl::Minutes(i);
      ASSERT_TRUE(s.RecordHeartbeat("agent-s", Beat(t, 10u * i, 0), t).ok());
    }
    ASSERT_TRUE(s.Close().ok());
  }

  auto hosts = Hosts();
  ASSERT_EQ(hosts.size(), 3u);

  const auto& r = hosts["ws-reporting"];
  EXPECT_EQ(Text(r, "agentId"), "agent-r");
  EXPECT_EQ(Text(r, "status"), "reporting");
  EXPECT_EQ(Text(r, "lastSeen"), "2026-11-27T12:00:00Z");
  EXPECT_EQ(Text(r, "lastHeartbeat"), "2026-11-27T12:00:00Z");
  EXPECT_EQ(Number(r, "windowSeconds"), 86400);
  EXPECT_EQ(Number(r, "coveredSeconds"), 39600);
  EXPECT_NEAR(Number(r, "coveragePercent"), 45.833, 0.0005);
  EXPECT_EQ(Number(r, "coverageGaps"), 2);  // [now-24h, now-12h] and [now-8h, now-7h]
  EXPECT_EQ(Number(r, "captureReceived"), 660000);
  EXPECT_EQ(Number(r, "captureDropped"), 660);
  EXPECT_NEAR(Number(r, "captureLossPercent"), 0.1, 0.0005);
  EXPECT_EQ(Number(r, "gaps"), 1);
  EXPECT_EQ(Number(r, "lostEvents"), 2);
  EXPECT_TRUE(r.fields().at("inInventory").bool_value());

  const auto& s = hosts["ws-silent"];
  EXPECT_EQ(Text(s, "agentId"), "agent-s");
  EXPECT_EQ(Text(s, "status"), "silent since 2026-11-27T10:00:00Z");
  EXPECT_EQ(Text(s, "lastSeen"), "2026-11-27T10:00:00Z");
  EXPECT_EQ(Number(s, "coveredSeconds"), 3600);
  EXPECT_NEAR(Number(s, "coveragePercent"), 4.167, 0.0005);
  EXPECT_EQ(Number(s, "captureReceived"), 600);
  EXPECT_EQ(Number(s, "gaps"), 0);

  const auto& n = hosts["ws-never"];
  EXPECT_EQ(Text(n, "agentId"), "");
  EXPECT_EQ(Text(n, "status"), "never reported");
  EXPECT_EQ(Text(n, "owner"), "carol");
  EXPECT_TRUE(n.fields().at("lastSeen").has_null_value());
  EXPECT_EQ(Number(n, "coveragePercent"), 0);

  // The same as of an hour before: ws-reporting's run [now-7h, now-1h]
  // ends at the evaluation time, so it still reports; the lost-event gap,
  // recorded at exactly that time, is inside the window.
  ProcessResult earlier = Run({"hosts", "--db", Path("c.db"), "--now", "2026-11-27T11:00:00Z"});
  ASSERT_EQ(earlier.exit_code, 0) << earlier.stderr_text;
  EXPECT_THAT(earlier.stdout_text, HasSubstr("HOSTNAME"));
  std::vector<std::string> lines = absl::StrSplit(earlier.stdout_text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);  // header + 3 hosts, ordered by hostname
  EXPECT_THAT(lines[1], HasSubstr("ws-never"));
  EXPECT_THAT(lines[1], HasSubstr("never reported"));
  EXPECT_THAT(lines[2], HasSubstr("ws-reporting"));
  EXPECT_THAT(lines[2], EndsWith("  reporting"));
  // 4 h + 6 h of 24 h = 41.67 %.
  EXPECT_THAT(lines[2], HasSubstr("41.67%"));
  EXPECT_THAT(lines[3], HasSubstr("ws-silent"));
  EXPECT_THAT(lines[3], HasSubstr("silent since 2026-11-27T10:00:00Z"));
}

}  // namespace
}  // namespace cleansweep::testing
