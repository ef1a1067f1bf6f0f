// The sweep plan: the built-in defaults equal what the shipped rules/ give
// (the backdoor-listener ports of worms.textproto, the domains of
// protected_domains.txt), and the domain file's parser.
#include "collector/sweep/sweep_plan.h"

#include <fstream>
#include <set>
#include <sstream>

#include "collector/rules/rule_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/testdata.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;

std::set<std::pair<int, uint32_t>> Keys(const std::vector<cleansweep::v1::PortSpec>& ports) {
  std::set<std::pair<int, uint32_t>> out;
  for (const auto& p : ports) out.insert({p.transport(), p.port()});
  return out;
}

TEST(SweepPlan, DefaultsAreWhatTheShippedRulesGive) {
  const std::string dir = cleansweep::testing::SourceDir() + "/rules";
  absl::StatusOr<RuleSet> rules = LoadRuleSet(dir);
  ASSERT_TRUE(rules.ok()) << rules.status();
  absl::StatusOr<SweepPlan> from_rules = SweepPlanFromRules(dir, rules->worms);
  ASSERT_TRUE(from_rules.ok()) << from_rules.status();
  const SweepPlan defaults = DefaultSweepPlan();
  EXPECT_EQ(Keys(from_rules->backdoor_ports), Keys(defaults.backdoor_ports));
  EXPECT_EQ(from_rules->protected_domains, defaults.protected_domains);
  // Hand-checked against worms.textproto's PORT_ROLE_BACKDOOR_LISTENER entries:
  // Mydoom's 72 ports, nine more TCP ports and Blaster's udp 69. Doomjuice's
  // 3127 (scanning), Sasser's 445 and Blaster's 135 (scanning) are not backdoors.
  const auto keys = Keys(defaults.backdoor_ports);
  EXPECT_EQ(keys.size(), 72u + 9u + 1u);
  for (uint32_t p : {1080u, 10080u, 1034u, 82u, 665u, 6777u, 8866u, 2745u, 5554u}) {
    EXPECT_TRUE(keys.contains({cleansweep::v1::TRANSPORT_TCP, p})) << p;
  }
  EXPECT_TRUE(keys.contains({cleansweep::v1::TRANSPORT_UDP, 69}));
  EXPECT_FALSE(keys.contains({cleansweep::v1::TRANSPORT_TCP, 445}));
  EXPECT_FALSE(keys.contains({cleansweep::v1::TRANSPORT_TCP, 135}));
  EXPECT_EQ(defaults.backdoor_ports.front().port(), 82u);  // sorted (transport, port)
  EXPECT_TRUE(std::count(defaults.protected_domains.begin(), defaults.protected_domains.end(),
                         "symantec.com"));
}

TEST(SweepPlan, BackdoorPortsFollowTheKnowledgeBase) {
  cleansweep::v1::WormKnowledgeBase kb;
  auto* f = kb.add_family();
  auto* listener = f->add_ports();
  listener->set_port(31337);
  listener->set_port_last(31338);
  listener->set_transport(cleansweep::v1::TRANSPORT_TCP);
  listener->set_role(cleansweep::v1::PORT_ROLE_BACKDOOR_LISTENER);
  auto* scanning = f->add_ports();
  scanning->set_port(445);
  scanning->set_transport(cleansweep::v1::TRANSPORT_TCP);
  scanning->set_role(cleansweep::v1::PORT_ROLE_SCANNING);
  const auto keys = Keys(BackdoorPorts(kb));
  EXPECT_EQ(keys.size(), 72u + 2u);  // Mydoom's range always
  EXPECT_TRUE(keys.contains({cleansweep::v1::TRANSPORT_TCP, 31338}));
  EXPECT_FALSE(keys.contains({cleansweep::v1::TRANSPORT_TCP, 445}));
}

TEST(SweepPlan, ParsesTheDomainFile) {
  absl::StatusOr<std::vector<std::string>> d = ParseProtectedDomains(
      "# comment\n\nSymantec.COM.  # trailing comment\n  mcafee.com\nsymantec.com\n", "f");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(*d, ElementsAre("symantec.com", "mcafee.com"));
  absl::StatusOr<std::vector<std::string>> bad =
      ParseProtectedDomains("symantec.com\nnot a domain\n", "dir/protected_domains.txt");
  EXPECT_EQ(bad.status().message(),
            "dir/protected_domains.txt:2: 'not a domain' is not a domain name (one per line, "
            "e.g. symantec.com)");
  EXPECT_FALSE(ParseProtectedDomains("localhost\n", "f").ok());  // no dot
  EXPECT_FALSE(ParseProtectedDomains("-bad.com\n", "f").ok());
  EXPECT_FALSE(ParseProtectedDomains("a..com\n", "f").ok());
}

}  // namespace
}  // namespace cleansweep::collector
