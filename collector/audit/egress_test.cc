#include "collector/audit/egress.h"

#include "collector/detect/detect_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using test_util::Mx;
using test_util::SecondsOf;
using test_util::Smtp;
using test_util::TestRules;
using test_util::Worm;

TEST(EgressTest, SmtpIsSplitByWhereItWentAndCountedWithFirstAndLast) {
  EgressTally tally(TestRules());
  tally.Add("ws7", Smtp(1, 10, "10.1.1.7", "10.0.0.25", 587));   // the relay
  tally.Add("ws7", Smtp(2, 20, "10.1.1.7", "10.0.0.25", 587));
  tally.Add("ws7", Smtp(3, 30, "10.1.1.7", "203.0.113.5"));      // direct, external
  tally.Add("ws7", Smtp(4, 5, "10.1.1.7", "10.9.0.1"));          // internal, not a relay
  tally.Add("ws7", Mx(5, 40, "10.1.1.7", "Example.ORG"));
  tally.Add("ws7", Mx(6, 41, "10.1.1.7", "example.org"));
  tally.Add("ws7", Worm(7, 50, "10.1.1.7", "10.2.0.1", 445));
  tally.Add("edge", Smtp(1, 60, "192.0.2.1", "203.0.113.5"));    // not an internal source
  std::vector<cleansweep::v1::HostEgress> hosts = tally.Hosts();
  ASSERT_EQ(hosts.size(), 1u);
  const auto& h = hosts[0];
  EXPECT_EQ(h.host(), "10.1.1.7");
  EXPECT_EQ(h.agent_id(), "ws7");
  EXPECT_EQ(h.smtp_via_relay().count(), 2u);
  EXPECT_EQ(h.smtp_via_relay().distinct(), 1u);
  EXPECT_EQ(SecondsOf(h.smtp_via_relay().first()), 10);
  EXPECT_EQ(SecondsOf(h.smtp_via_relay().last()), 20);
  EXPECT_EQ(h.smtp_direct_external().count(), 1u);
  EXPECT_EQ(h.smtp_other().count(), 1u);
  EXPECT_EQ(h.mx_lookups().count(), 2u);
  EXPECT_EQ(h.mx_lookups().distinct(), 1u);
  EXPECT_EQ(h.worm_ports().count(), 1u);
}

}  // namespace
}  // namespace cleansweep::collector
