// Expected values are computed by hand from the heartbeat times below.
#include "collector/cli/hosts_view.h"

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

AgentActivity Agent(const std::string& id, const std::string& hostname,
                    std::vector<StoredHeartbeat> beats) {
  AgentActivity a;
  a.agent.identity.agent_id = id;
  a.agent.identity.hostname = hostname;
  a.agent.last_seen = kNow - absl::Hours(100);
  if (!beats.empty()) {
    a.agent.last_seen = absl::FromUnixSeconds(beats.back().heartbeat.time().seconds());
  }
  a.heartbeats = std::move(beats);
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
  // Loss counts only pairs inside the window: none here.
  std::vector<StoredHeartbeat> beats = {Beat(absl::Hours(24) + absl::Seconds(30), 10),
                                        Beat(absl::Hours(24) - absl::Seconds(30), 50)};
  auto rows = BuildHostRows({}, {Agent("a1", "h1", beats)}, kNow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].coverage.covered, absl::Seconds(30));
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
            "\"gaps\":0,\"lostEvents\":0,\"status\":\"never reported\"}");
  EXPECT_THAT(HostTable(rows), HasSubstr("never reported"));
}

TEST(HostsViewTest, CaptureLossPercentEdges) {
  EXPECT_EQ(CaptureLossPercent({0, 0, 0}), 0);
  EXPECT_EQ(CaptureLossPercent({0, 3, 0}), 100);
  EXPECT_DOUBLE_EQ(CaptureLossPercent({200, 1, 1}), 1.0);
  EXPECT_EQ(CaptureLossPercent({1, 5, 0}), 100);
}

}  // namespace
}  // namespace cleansweep::collector
