#include "collector/web/status_snapshot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

TEST(VerdictOfTest, FindingsElseCoverageDecides) {
  HostRow covered;
  covered.coverage.covered = absl::Seconds(1);
  HostRow silent;
  EXPECT_EQ(VerdictOf(cleansweep::v1::SEVERITY_UNSPECIFIED, covered), "clean");
  EXPECT_EQ(VerdictOf(cleansweep::v1::SEVERITY_UNSPECIFIED, silent), "unknown");
  EXPECT_EQ(VerdictOf(cleansweep::v1::SEVERITY_WORM_SCANNING, silent), "worm-scanning");
  EXPECT_EQ(VerdictOf(cleansweep::v1::SEVERITY_NOTICE, covered), "notice");
}

TEST(StatusSnapshotTest, FindingsBelongToTheAgentElseTheAddressHolder) {
  StatusSnapshot s;
  s.hosts.resize(2);
  s.hosts[0].key = "a1";
  s.hosts[0].day.agent_id = "a1";
  s.hosts[0].day.hostname = "Alpha";
  s.hosts[0].day.addresses = {"10.0.0.1"};
  s.hosts[1].key = "b1";
  s.hosts[1].day.agent_id = "b1";
  s.hosts[1].day.addresses = {"10.0.0.2"};
  s.IndexHosts();
  cleansweep::v1::Finding f;
  f.set_agent_id("b1");
  f.set_host("10.0.0.1");
  EXPECT_EQ(s.HostOfFinding(f), &s.hosts[1]);  // the agent id wins
  f.set_agent_id("gone");
  EXPECT_EQ(s.HostOfFinding(f), &s.hosts[0]);
  f.set_host("10.9.9.9");
  EXPECT_EQ(s.HostOfFinding(f), nullptr);
  EXPECT_EQ(s.FindHost("b1"), &s.hosts[1]);
  EXPECT_EQ(s.FindHost("ALPHA"), &s.hosts[0]);
  EXPECT_EQ(s.FindHost("nobody"), nullptr);
}

}  // namespace
}  // namespace cleansweep::collector::web
