#include "collector/service/capture_config.h"

#include <set>
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

}  // namespace
}  // namespace cleansweep::collector
