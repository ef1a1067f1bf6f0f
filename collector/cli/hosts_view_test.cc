// Expected values are computed by hand from the heartbeat times below.
#include "collector/cli/hosts_view.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

StoredHeartbeat Beat(absl::Duration before_now, uint64_t received = 0, uint64_t dropped = 0,
                     bool up = true) {
  StoredHeartbeat h;
  const absl::Time t = kNow - before_now;
  h.heartbeat.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  h.heartbeat.set_interval_seconds(30);
  auto* i = h.heartbeat.add_interfaces();
  i->set_name("eth0");
  i->set_received(received);
  i->set_dropped(dropped);
  i->set_up(up);
  h.received_time = t;
  return h;
}

absl::Time TimeOf(const StoredHeartbeat& h) {
  return absl::FromUnixSeconds(h.heartbeat.time().seconds());
}

// What the store would hold after these heartbeats: their folded segments and
// the newest one at or before `now`.
AgentActivity Agent(const std::string& id, const std::string& hostname,
                    std::vector<StoredHeartbeat> beats, absl::Time now = kNow) {
  AgentActivity a;
  a.agent.identity.agent_id = id;
  a.agent.identity.hostname = hostname;
  a.agent.last_seen = kNow - absl::Hours(100);
  if (!beats.empty()) a.agent.last_seen = TimeOf(beats.back());
  std::vector<HeartbeatSample> samples;
  for (const StoredHeartbeat& b : beats) {
    HeartbeatSample s{TimeOf(b), absl::Seconds(b.heartbeat.interval_seconds()), {}};
    for (const auto& i : b.heartbeat.interfaces()) {
      s.interfaces.push_back({i.name(), i.received(), i.dropped(), i.interface_dropped(), i.up()});
    }
    samples.push_back(std::move(s));
    if (TimeOf(b) <= now && (!a.latest || TimeOf(b) >= TimeOf(*a.latest))) a.latest = b;
  }
  a.coverage = FoldHeartbeats(samples);
  return a;
}

TEST(HostsViewTest, ReportingHostCoverageAndLoss) {
  // Every 30 s from now-2h to now-30s (i = 0..239): covered 2h - 30 s.
  std::vector<StoredHeartbeat> beats;
  for (int i = 0; i < 240; ++i) {
    beats.push_back(Beat(absl::Hours(2) - absl::Seconds(30 * i), 100 * i, i / 10));
  }
  auto rows =
      BuildHostRows({{"ws1", "00:11:22:33:44:55", "alice", {}}}, {Agent("a1", "WS1", beats)}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  const HostRow& r = rows[0];
  EXPECT_EQ(r.hostname, "ws1");  // the inventory's spelling
  EXPECT_EQ(r.agent_id, "a1");
  EXPECT_TRUE(r.in_inventory);
  EXPECT_EQ(r.owner, "alice");
  EXPECT_EQ(r.status, HostStatus::kReporting);
  EXPECT_EQ(HostStatusText(r), "reporting");
  EXPECT_EQ(r.coverage.covered, absl::Hours(2) - absl::Seconds(30));
  EXPECT_DOUBLE_EQ(r.coverage.fraction, 7170.0 / 86400.0);
  // received 100 × 239, dropped 239 / 10 = 23.
  EXPECT_EQ(r.loss.received, 23900u);
  EXPECT_EQ(r.loss.dropped, 23u);
  EXPECT_DOUBLE_EQ(CaptureLossPercent(r.loss), 100.0 * 23 / 23900);
  EXPECT_FALSE(r.interface_down);
}

TEST(HostsViewTest, SilentAfterTwoAndAHalfPeriods) {
  // Last heartbeat exactly 75 s ago is still reporting; 76 s ago is silent.
  auto on_time = BuildHostRows(
      {}, {Agent("a1", "h1", {Beat(absl::Seconds(105)), Beat(absl::Seconds(75))})}, kNow);
  ASSERT_EQ(on_time.size(), 1u);
  EXPECT_EQ(on_time[0].status, HostStatus::kReporting);
  EXPECT_FALSE(on_time[0].in_inventory);

  auto late = BuildHostRows(
      {}, {Agent("a1", "h1", {Beat(absl::Seconds(106)), Beat(absl::Seconds(76))})}, kNow);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].status, HostStatus::kSilent);
  EXPECT_EQ(late[0].silent_since, kNow - absl::Seconds(76));
  EXPECT_EQ(HostStatusText(late[0]), "silent since 2027-01-15T07:58:44Z");
  EXPECT_EQ(late[0].coverage.covered, absl::Seconds(30));
}

TEST(HostsViewTest, HeartbeatsAfterNowAreIgnored) {
  auto rows = BuildHostRows(
      {},
      {Agent("a1", "h1",
             {Beat(absl::Seconds(200)), Beat(absl::Seconds(170)), Beat(-absl::Seconds(10))})},
      kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, HostStatus::kSilent);
  EXPECT_EQ(*rows[0].last_heartbeat, kNow - absl::Seconds(170));
}

TEST(HostsViewTest, RunCrossingTheWindowStartCountsFromTheStart) {
  // Beats at now-24h-30s (outside the window) and now-24h+30s: 60 s apart,
  // so one run, of which 30 s fall in the window.
  // Loss is kept per clock hour of the reporting heartbeat: the second one
  // (08:00:30, in the window's first hour) reported 50 - 10 = 40.
  std::vector<StoredHeartbeat> beats = {Beat(absl::Hours(24) + absl::Seconds(30), 10),
                                        Beat(absl::Hours(24) - absl::Seconds(30), 50)};
  auto rows = BuildHostRows({}, {Agent("a1", "h1", beats)}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].coverage.covered, absl::Seconds(30));
  EXPECT_EQ(rows[0].loss.received, 40u);
  // A window starting at the next clock hour does not see that hour's loss.
  rows = BuildHostRows({}, {Agent("a1", "h1", beats)}, kNow, absl::Hours(23));
  EXPECT_EQ(rows[0].loss.received, 0u);
}

TEST(HostsViewTest, NeverReportedAndUnexpectedHostsAreListedInOrder) {
  auto rows = BuildHostRows({{"Bravo", "", "", {}}, {"alpha", "", "", {}}},
                            {Agent("z-agent", "charlie", {}), Agent("a2", "ALPHA", {})}, kNow);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].hostname, "alpha");
  EXPECT_EQ(rows[0].agent_id, "a2");
  EXPECT_EQ(rows[0].status, HostStatus::kSilent);  // no heartbeat: silent since last seen
  EXPECT_EQ(rows[0].silent_since, kNow - absl::Hours(100));
  EXPECT_EQ(rows[1].hostname, "Bravo");
  EXPECT_EQ(rows[1].agent_id, "");
  EXPECT_EQ(rows[1].status, HostStatus::kNeverReported);
  EXPECT_EQ(HostStatusText(rows[1]), "never reported");
  EXPECT_EQ(rows[1].coverage.fraction, 0);
  EXPECT_EQ(rows[2].hostname, "charlie");
  EXPECT_FALSE(rows[2].in_inventory);
}

TEST(HostsViewTest, AStoppedAgentShowsExactlyThatGap) {
  // Every 30 s from now-3h to now-2h (i = 0..120), stopped for 10 minutes,
  // then every 30 s from now-1h50m to now-30s (i = 0..218). The gap runs from
  // the last heartbeat of the first run (now-2h) to the first of the second
  // (now-1h50m); before now-3h the window is uncovered too.
  std::vector<StoredHeartbeat> beats;
  for (int i = 0; i <= 120; ++i) beats.push_back(Beat(absl::Hours(3) - absl::Seconds(30 * i)));
  for (int i = 0; i <= 218; ++i) {
    beats.push_back(Beat(absl::Minutes(110) - absl::Seconds(30 * i)));
  }
  auto rows = BuildHostRows({}, {Agent("a1", "ws1", beats)}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].status, HostStatus::kReporting);
  ASSERT_EQ(rows[0].coverage.gaps.size(), 3u);  // before the first run, the stop, after the last beat
  EXPECT_EQ(LastGapText(rows[0]), "2027-01-15T06:00:00Z 10m");
  EXPECT_THAT(HostJsonLine(rows[0]),
              HasSubstr("{\"from\":\"2027-01-15T06:00:00Z\",\"to\":\"2027-01-15T06:10:00Z\","
                        "\"seconds\":600.000}"));
  EXPECT_THAT(HostTable(rows), HasSubstr("2027-01-15T06:00:00Z 10m"));

  // Silent now: the open gap is the status, not the last gap.
  beats.resize(121);
  rows = BuildHostRows({}, {Agent("a1", "ws1", beats)}, kNow);
  ASSERT_EQ(rows[0].status, HostStatus::kSilent);
  EXPECT_EQ(LastGapText(rows[0]), "2027-01-14T08:00:00Z 21h");
}

TEST(HostsViewTest, DownInterfaceIsFlagged) {
  auto rows = BuildHostRows(
      {}, {Agent("a1", "h1", {Beat(absl::Seconds(60)), Beat(absl::Seconds(30), 0, 0, false)})},
      kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].interface_down);
}

TEST(HostsViewTest, JsonLine) {
  auto rows = BuildHostRows({{"ws9", "", "bob", {}}}, {}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(HostJsonLine(rows[0]),
            "{\"hostname\":\"ws9\",\"agentId\":\"\",\"inInventory\":true,\"mac\":\"\","
            "\"owner\":\"bob\",\"lastSeen\":null,\"lastHeartbeat\":null,"
            "\"windowSeconds\":86400,\"coveredSeconds\":0.000,\"coveragePercent\":0.000,"
            "\"coverageGaps\":1,\"interfaceDown\":false,\"captureReceived\":0,"
            "\"captureDropped\":0,\"captureInterfaceDropped\":0,\"captureLossPercent\":0.000,"
            "\"gaps\":0,\"lostEvents\":0,\"status\":\"never reported\","
            "\"agentHostname\":\"\",\"matchedBy\":\"\",\"os\":\"\",\"kernel\":\"\","
            "\"addresses\":[],\"spoolEvents\":null,\"spoolBytes\":null,\"spoolOldest\":null,"
            "\"spoolOldestAgeSeconds\":null,"
            "\"uncovered\":[{\"from\":\"2027-01-14T08:00:00Z\",\"to\":\"2027-01-15T08:00:00Z\","
            "\"seconds\":86400.000}]}");
  EXPECT_THAT(HostTable(rows), HasSubstr("never reported"));
}

// A heartbeat `before_now` carrying the agent's spool state.
StoredHeartbeat SpoolBeat(absl::Duration before_now, uint64_t events, uint64_t bytes,
                          std::optional<absl::Duration> oldest_before_now) {
  StoredHeartbeat h = Beat(before_now);
  h.heartbeat.set_spool_events(events);
  h.heartbeat.set_spool_bytes(bytes);
  if (oldest_before_now) {
    h.heartbeat.mutable_spool_oldest()->set_seconds(absl::ToUnixSeconds(kNow - *oldest_before_now));
  }
  return h;
}

StoredHostFacts Facts(const std::string& hostname,
                      std::vector<std::pair<std::string, std::vector<std::string>>> ifaces) {
  StoredHostFacts f;
  f.facts.set_hostname(hostname);
  f.facts.set_os("Debian GNU/Linux 12 (bookworm)");
  f.facts.set_kernel("6.1.0-13-amd64");
  int n = 0;
  for (const auto& [mac, addresses] : ifaces) {
    auto* i = f.facts.add_interfaces();
    i->set_name(absl::StrCat("if", n++));
    i->set_mac(mac);
    for (const std::string& a : addresses) i->add_addresses(a);
  }
  return f;
}

TEST(HostsViewTest, SpoolBacklogComesFromTheNewestHeartbeat) {
  // Newest heartbeat at or before now: now-30s, holding 1234 events (567890
  // bytes) of which the oldest is from now-3h59m (04:01:00Z): "1234 (3h)".
  // The one 10 s after now is ignored like every heartbeat after now.
  AgentActivity a =
      Agent("a1", "ws1",
            {SpoolBeat(absl::Seconds(90), 10, 100, absl::Minutes(5)),
             SpoolBeat(absl::Seconds(30), 1234, 567890, absl::Hours(3) + absl::Minutes(59)),
             SpoolBeat(-absl::Seconds(10), 5, 50, absl::Minutes(1))});
  auto rows = BuildHostRows({}, {a}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].spool.has_value());
  EXPECT_EQ(rows[0].spool->events, 1234u);
  EXPECT_EQ(rows[0].spool->bytes, 567890u);
  EXPECT_EQ(*rows[0].spool->oldest_age, absl::Hours(3) + absl::Minutes(59));
  EXPECT_EQ(SpoolText(rows[0]), "1234 (3h)");
  EXPECT_THAT(
      HostJsonLine(rows[0]),
      HasSubstr("\"spoolEvents\":1234,\"spoolBytes\":567890,"
                "\"spoolOldest\":\"2027-01-15T04:01:00Z\",\"spoolOldestAgeSeconds\":14340,"));
  const std::string table = HostTable(rows);
  EXPECT_THAT(table, HasSubstr("SPOOL"));
  EXPECT_THAT(table, HasSubstr("1234 (3h)"));
}

TEST(HostsViewTest, SpoolTextForms) {
  // No heartbeat: unknown.
  auto none = BuildHostRows({}, {Agent("a1", "h1", {})}, kNow);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_FALSE(none[0].spool.has_value());
  EXPECT_EQ(SpoolText(none[0]), "-");
  EXPECT_THAT(HostJsonLine(none[0]), HasSubstr("\"spoolEvents\":null,\"spoolBytes\":null"));

  // Empty spool: "0", and no oldest even if the agent sent one.
  auto empty = BuildHostRows(
      {}, {Agent("a1", "h1", {SpoolBeat(absl::Seconds(30), 0, 0, absl::Hours(1))})}, kNow);
  EXPECT_EQ(SpoolText(empty[0]), "0");
  EXPECT_THAT(HostJsonLine(empty[0]),
              HasSubstr("\"spoolEvents\":0,\"spoolBytes\":0,\"spoolOldest\":null,"
                        "\"spoolOldestAgeSeconds\":null"));

  // Events without an oldest time: the count alone.
  auto no_oldest = BuildHostRows(
      {}, {Agent("a1", "h1", {SpoolBeat(absl::Seconds(30), 7, 70, std::nullopt)})}, kNow);
  EXPECT_EQ(SpoolText(no_oldest[0]), "7");

  // Ages are rounded down: 45 s, 12 min 30 s, 47 h 59 min, 48 h, and an
  // oldest event ahead of now (agent clock ahead) counts as 0 s.
  const std::vector<std::pair<absl::Duration, std::string>> ages = {
      {absl::Seconds(45), "3 (45s)"},
      {absl::Minutes(12) + absl::Seconds(30), "3 (12m)"},
      {absl::Hours(47) + absl::Minutes(59), "3 (47h)"},
      {absl::Hours(48), "3 (2d)"},
      {-absl::Minutes(5), "3 (0s)"}};
  for (const auto& [age, text] : ages) {
    auto rows =
        BuildHostRows({}, {Agent("a1", "h1", {SpoolBeat(absl::Seconds(30), 3, 30, age)})}, kNow);
    EXPECT_EQ(SpoolText(rows[0]), text);
  }
}

TEST(HostsViewTest, CurrentAddressesIPv4FirstWithoutLoopback) {
  AgentActivity a = Agent("a1", "ws1", {Beat(absl::Seconds(30))});
  a.facts = Facts("ws1", {{"", {"127.0.0.1", "::1"}},
                          {"00:11:22:33:44:55", {"fe80::1", "10.0.0.5", "2001:db8::5"}},
                          {"00:11:22:33:44:66", {"192.168.1.20", "10.0.0.5"}}});
  auto rows = BuildHostRows({}, {a}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].addresses,
              ::testing::ElementsAre("10.0.0.5", "192.168.1.20", "2001:db8::5", "fe80::1"));
  EXPECT_EQ(AddressText(rows[0]), "10.0.0.5 +3");
  EXPECT_EQ(rows[0].os, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_THAT(HostJsonLine(rows[0]),
              HasSubstr("\"os\":\"Debian GNU/Linux 12 (bookworm)\",\"kernel\":\"6.1.0-13-amd64\","
                        "\"addresses\":[\"10.0.0.5\",\"192.168.1.20\",\"2001:db8::5\","
                        "\"fe80::1\"]"));
  EXPECT_THAT(HostTable(rows), HasSubstr("10.0.0.5 +3"));

  AgentActivity one = Agent("a2", "ws2", {});
  one.facts = Facts("ws2", {{"", {"2001:db8::9"}}});
  AgentActivity bare = Agent("a3", "ws3", {});
  auto more = BuildHostRows({}, {one, bare}, kNow);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(AddressText(more[0]), "2001:db8::9");
  EXPECT_EQ(AddressText(more[1]), "-");
  EXPECT_THAT(HostJsonLine(more[1]), HasSubstr("\"addresses\":[]"));
}

TEST(HostsViewTest, InventoryHostsMatchByMacWhenTheHostnameDiffers) {
  // ws-old was renamed ws-new after the inventory was made; its NIC is the same.
  AgentActivity renamed = Agent("a1", "ws-new", {Beat(absl::Seconds(30))});
  renamed.facts = Facts("ws-new", {{"", {"127.0.0.1"}}, {"00:11:22:33:44:55", {"10.0.0.5"}}});
  // ws2 matches by hostname even though it carries ws-old's MAC too.
  AgentActivity by_name = Agent("a2", "WS2", {});
  by_name.facts = Facts("WS2", {{"00:11:22:33:44:55", {}}});
  // Inventory MACs compare ignoring case.
  AgentActivity upper = Agent("a3", "laptop-17", {});
  upper.facts = Facts("laptop-17", {{"00:aa:bb:cc:dd:ee", {}}});
  // No facts, unknown name: not in the inventory.
  AgentActivity stranger = Agent("a4", "stranger", {});

  auto rows = BuildHostRows({{"ws-old", "00:11:22:33:44:55", "alice", {}},
                             {"ws2", "", "bob", {}},
                             {"ws3", "00:AA:BB:CC:DD:EE", "carol", {}},
                             {"ws4", "00:11:22:33:44:77", "dave", {}}},
                            {renamed, by_name, upper, stranger}, kNow);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].hostname, "stranger");
  EXPECT_FALSE(rows[0].in_inventory);
  EXPECT_EQ(rows[0].matched_by, "");

  EXPECT_EQ(rows[1].hostname, "ws-old");
  EXPECT_EQ(rows[1].agent_id, "a1");
  EXPECT_TRUE(rows[1].in_inventory);
  EXPECT_EQ(rows[1].matched_by, "mac");
  EXPECT_EQ(rows[1].agent_hostname, "ws-new");
  EXPECT_EQ(rows[1].owner, "alice");
  EXPECT_EQ(rows[1].status, HostStatus::kReporting);
  EXPECT_THAT(HostJsonLine(rows[1]),
              HasSubstr("\"agentHostname\":\"ws-new\",\"matchedBy\":\"mac\""));

  EXPECT_EQ(rows[2].hostname, "ws2");
  EXPECT_EQ(rows[2].agent_id, "a2");
  EXPECT_EQ(rows[2].matched_by, "hostname");
  EXPECT_EQ(rows[2].owner, "bob");

  EXPECT_EQ(rows[3].hostname, "ws3");
  EXPECT_EQ(rows[3].agent_id, "a3");
  EXPECT_EQ(rows[3].matched_by, "mac");
  EXPECT_EQ(rows[3].owner, "carol");

  EXPECT_EQ(rows[4].hostname, "ws4");
  EXPECT_EQ(rows[4].status, HostStatus::kNeverReported);
}

TEST(HostsViewTest, CaptureLossPercentEdges) {
  EXPECT_EQ(CaptureLossPercent({0, 0, 0}), 0);
  EXPECT_EQ(CaptureLossPercent({0, 3, 0}), 100);
  EXPECT_DOUBLE_EQ(CaptureLossPercent({200, 1, 1}), 1.0);
  EXPECT_EQ(CaptureLossPercent({1, 5, 0}), 100);
}

}  // namespace
}  // namespace cleansweep::collector

namespace cleansweep::collector {
namespace {

TEST(HostsViewTest, APastWindowIsProvenToItsEndByTheNextHeartbeat) {
  // Heartbeats every 30 s from 10 min before kNow until 10 min after it; the
  // window is the 5 minutes before kNow.
  std::vector<StoredHeartbeat> beats;
  for (int i = -20; i <= 20; ++i) beats.push_back(Beat(absl::Seconds(-30 * i)));
  const absl::Duration window = absl::Minutes(5);
  // Without proof after the window the last stretch (the heartbeat at kNow
  // itself closes it here, so take a window ending 10 s after a heartbeat).
  const absl::Time end = kNow + absl::Seconds(10);
  // Had the agent stopped at kNow, the last 10 s would be a gap.
  std::vector<StoredHeartbeat> stopped(beats.begin(), beats.begin() + 21);
  auto rows = BuildHostRows({}, {Agent("a1", "h1", stopped, end)}, end, window);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].coverage.gaps.size(), 1u);
  EXPECT_EQ(rows[0].coverage.gaps[0].start, kNow);
  EXPECT_EQ(rows[0].coverage.gaps[0].end, end);
  // The heartbeat 20 s after the window's end proves those 10 s.
  rows = BuildHostRows({}, {Agent("a1", "h1", beats, end)}, end, window);
  EXPECT_TRUE(rows[0].coverage.gaps.empty());
  EXPECT_EQ(rows[0].coverage.covered, window);
  // Status still comes from heartbeats up to the window's end only.
  EXPECT_EQ(rows[0].last_heartbeat, kNow);
}

}  // namespace
}  // namespace cleansweep::collector
