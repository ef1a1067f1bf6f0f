#include "collector/service/capture_config.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;

// Expected values are the worm ports listed in DESIGN.md (Mydoom, Doomjuice,
// Sasser, Blaster, Bagle, Netsky), written out by hand.
TEST(CaptureConfigTest, DefaultsMatchTheDesignedPortList) {
  cleansweep::v1::CaptureConfig c = DefaultCaptureConfig();
  EXPECT_THAT(c.smtp_ports(), ElementsAre(25, 465, 587, 2525));
  EXPECT_THAT(c.dns_qtypes(), ElementsAre(15));
  std::set<std::pair<uint32_t, int>> ports;
  for (const auto& p : c.worm_ports()) ports.insert({p.port(), p.transport()});
  EXPECT_EQ(ports.size(), static_cast<size_t>(c.worm_ports_size()));  // no duplicates
  EXPECT_EQ(ports.size(), 72u + 13u + 1u);
  const int tcp = cleansweep::v1::TRANSPORT_TCP;
  for (uint32_t p : {3127u, 3150u, 3198u, 1080u, 10080u, 1034u, 445u, 5554u, 9996u, 135u, 4444u,
                     2745u, 6777u, 8866u, 665u, 82u}) {
    EXPECT_TRUE(ports.count({p, tcp})) << p;
  }
  EXPECT_FALSE(ports.count({3126, tcp}));
  EXPECT_FALSE(ports.count({3199, tcp}));
  EXPECT_TRUE(ports.count({69, cleansweep::v1::TRANSPORT_UDP}));
  EXPECT_FALSE(ports.count({69, tcp}));
}

TEST(CaptureConfigTest, ParsesNumberListsWithRanges) {
  auto v = ParseNumberList("25, 465,1000-1002");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ElementsAre(25, 465, 1000, 1001, 1002));
}

TEST(CaptureConfigTest, RefusesBadNumbers) {
  for (const char* bad : {"", "0", "65536", "x", "5-3", "1-2-3", "25,,abc", "-5"}) {
    EXPECT_FALSE(ParseNumberList(bad).ok()) << bad;
  }
}

TEST(CaptureConfigTest, ParsesPortSpecsWithTransports) {
  auto v = ParsePortSpecList("tcp:10-11,UDP:69,445");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 4u);
  EXPECT_EQ((*v)[0].port(), 10u);
  EXPECT_EQ((*v)[1].port(), 11u);
  EXPECT_EQ((*v)[2].port(), 69u);
  EXPECT_EQ((*v)[2].transport(), cleansweep::v1::TRANSPORT_UDP);
  EXPECT_EQ((*v)[3].transport(), cleansweep::v1::TRANSPORT_TCP);
  EXPECT_FALSE(ParsePortSpecList("sctp:5").ok());
  EXPECT_FALSE(ParsePortSpecList("udp:").ok());
}

// A small rule set written by hand; the expected lists below were worked out
// from it by hand, following the derivation rules in capture_config.h.
RuleSet SmallRuleSet() {
  RuleSet rules;
  const bool worms_ok = google::protobuf::TextFormat::ParseFromString(R"pb(
    family {
      name: "A"
      ports {
        port: 3127 port_last: 3129 transport: TRANSPORT_TCP role: PORT_ROLE_BACKDOOR_LISTENER
      }
      ports { port: 69 transport: TRANSPORT_UDP role: PORT_ROLE_SPREADING }
    }
    family {
      name: "B"
      ports { port: 445 transport: TRANSPORT_TCP role: PORT_ROLE_SCANNING }
      ports { port: 3128 transport: TRANSPORT_TCP role: PORT_ROLE_BACKDOOR_LISTENER }
    }
  )pb", &rules.worms);
  const bool detection_ok = google::protobuf::TextFormat::ParseFromString(R"pb(
    rule {
      name: "fanout"
      signal: SIGNAL_WORM_PORT_FANOUT
      ports { port: 8080 transport: TRANSPORT_TCP }
      ports { port: 1434 transport: TRANSPORT_UDP }
    }
    rule {
      name: "smtp"
      signal: SIGNAL_SMTP_EXTERNAL_ATTEMPTS
      ports { port: 26 transport: TRANSPORT_TCP }
      ports { port: 587 transport: TRANSPORT_TCP }
      ports { port: 2600 transport: TRANSPORT_UDP }
    }
    rule {
      name: "forged"
      signal: SIGNAL_FORGED_OWN_DOMAIN_SENDER
      ports { port: 10025 port_last: 10026 transport: TRANSPORT_TCP }
    }
    rule {
      name: "ratio"
      signal: SIGNAL_FAILED_CONNECTION_RATIO
      ports { port: 25 transport: TRANSPORT_TCP }
      ports { port: 9000 port_last: 9001 transport: TRANSPORT_TCP }
      ports { port: 26 transport: TRANSPORT_UDP }
    }
    rule {
      name: "mx"
      signal: SIGNAL_MX_LOOKUPS
      ports { port: 5353 transport: TRANSPORT_UDP }
    }
  )pb", &rules.detection);
  EXPECT_TRUE(worms_ok && detection_ok);
  return rules;
}

std::vector<std::string> WormPorts(const cleansweep::v1::CaptureConfig& c) {
  std::vector<std::string> out;
  for (const auto& p : c.worm_ports()) {
    out.push_back((p.transport() == cleansweep::v1::TRANSPORT_UDP ? "udp:" : "tcp:") +
                  std::to_string(p.port()));
  }
  return out;
}

TEST(DeriveCaptureConfigTest, UnionOfFamiliesAndRuleFilters) {
  cleansweep::v1::CaptureConfig c = DeriveCaptureConfig(SmallRuleSet());
  // Defaults, plus "smtp" 26 (587 already there; its UDP 2600 is no SMTP),
  // plus "forged" 10025-10026.
  EXPECT_THAT(c.smtp_ports(), ElementsAre(25, 26, 465, 587, 2525, 10025, 10026));
  // Families: 3127-3129, udp 69, 445, 3128 (once). Filters: 8080, udp 1434
  // (fanout), 9000-9001 and udp 26 (ratio; its tcp 25 is an SMTP port). The
  // MX rule's 5353 adds nothing. TCP before UDP, each ascending.
  EXPECT_THAT(WormPorts(c), ElementsAre("tcp:445", "tcp:3127", "tcp:3128", "tcp:3129",
                                        "tcp:8080", "tcp:9000", "tcp:9001", "udp:26", "udp:69",
                                        "udp:1434"));
  EXPECT_THAT(c.dns_qtypes(), ElementsAre(15));
}

TEST(DeriveCaptureConfigTest, FlagsOverrideTheirListOnly) {
  auto overrides = ParseCaptureConfigOverrides("25", "", "");
  ASSERT_TRUE(overrides.ok()) << overrides.status();
  cleansweep::v1::CaptureConfig c = DeriveCaptureConfig(SmallRuleSet(), *overrides);
  EXPECT_THAT(c.smtp_ports(), ElementsAre(25));
  EXPECT_EQ(c.worm_ports_size(), 10);
  EXPECT_THAT(c.dns_qtypes(), ElementsAre(15));

  overrides = ParseCaptureConfigOverrides("", "udp:53,7-8", "15,255");
  ASSERT_TRUE(overrides.ok()) << overrides.status();
  c = DeriveCaptureConfig(SmallRuleSet(), *overrides);
  EXPECT_THAT(c.smtp_ports(), ElementsAre(25, 26, 465, 587, 2525, 10025, 10026));
  EXPECT_THAT(WormPorts(c), ElementsAre("udp:53", "tcp:7", "tcp:8"));  // as written
  EXPECT_THAT(c.dns_qtypes(), ElementsAre(15, 255));
}

TEST(DeriveCaptureConfigTest, BadFlagsNameTheFlag) {
  auto bad = ParseCaptureConfigOverrides("25,x", "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("--smtp-ports: "));
  bad = ParseCaptureConfigOverrides("", "sctp:1", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("--worm-ports: "));
  bad = ParseCaptureConfigOverrides("", "", "0");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("--dns-qtypes: "));
  auto none = ParseCaptureConfigOverrides("", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->smtp_ports || none->worm_ports || none->dns_qtypes);
}

// The shipped knowledge base and the designed defaults (hand-checked above)
// agree: an agent watches the same ports before and after it connects.
TEST(DeriveCaptureConfigTest, ShippedRulesDeriveTheDesignedDefaults) {
  const char* source = std::getenv("CLEANSWEEP_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  absl::StatusOr<RuleSet> rules = LoadRuleSet(std::string(source) + "/rules");
  ASSERT_TRUE(rules.ok()) << rules.status();
  cleansweep::v1::CaptureConfig derived = DeriveCaptureConfig(*rules);
  cleansweep::v1::CaptureConfig defaults = DefaultCaptureConfig();
  EXPECT_THAT(derived.smtp_ports(), ElementsAre(25, 465, 587, 2525));
  EXPECT_THAT(derived.dns_qtypes(), ElementsAre(15));
  std::vector<std::string> want = WormPorts(defaults);
  std::vector<std::string> got = WormPorts(derived);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace cleansweep::collector
