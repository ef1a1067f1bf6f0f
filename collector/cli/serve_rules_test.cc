// serve's live rules on a copy of the shipped rules/ directory: a reload that
// adds a worm port publishes it to the agents' streams; a broken one
// publishes nothing.
#include "collector/cli/serve_rules.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;

constexpr char kNewFamily[] = R"pb(
  family {
    name: "Test.Backdoor"
    first_seen: "2004-05-01"
    ports { port: 31337 transport: TRANSPORT_TCP role: PORT_ROLE_BACKDOOR_LISTENER }
    behaviour: "listens on 31337"
    sources { title: "test" url: "https://example.com/test" }
  }
)pb";

class ServeRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_serve_rules_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    const char* source = std::getenv("CLEANSWEEP_SOURCE_DIR");
    ASSERT_NE(source, nullptr);
    for (const char* f : {"worms.textproto", "detection.textproto", "site.example.textproto"}) {
      std::filesystem::copy_file(std::string(source) + "/rules/" + f, dir_ + "/" + f);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Append(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ + "/" + name, std::ios::app);
    out << text;
    ASSERT_TRUE(out.good());
  }

  static std::set<std::pair<int, uint32_t>> WormPorts(const cleansweep::v1::CaptureConfig& c) {
    std::set<std::pair<int, uint32_t>> out;
    for (const auto& p : c.worm_ports()) out.insert({p.transport(), p.port()});
    return out;
  }

  std::string dir_;
};

TEST_F(ServeRulesTest, AGoodReloadPublishesTheDerivedConfiguration) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  CaptureConfigBroadcast broadcast(DeriveCaptureConfig(*(*holder)->Current()));
  auto overrides = ParseCaptureConfigOverrides("", "", "15,16");
  ASSERT_TRUE(overrides.ok());
  PushCaptureConfigOnReload(holder->get(), &broadcast, *overrides);
  std::vector<cleansweep::v1::CaptureConfig> pushed;
  auto sub = broadcast.Subscribe([&pushed](const auto& c) { pushed.push_back(c); });
  EXPECT_FALSE(WormPorts(sub.current).count({cleansweep::v1::TRANSPORT_TCP, 31337}));

  Append("worms.textproto", kNewFamily);
  ASSERT_TRUE(ReloadRulesAndLog(holder->get()).ok());
  ASSERT_EQ(pushed.size(), 1u);
  std::set<std::pair<int, uint32_t>> expected = WormPorts(sub.current);
  expected.insert({cleansweep::v1::TRANSPORT_TCP, 31337});
  EXPECT_EQ(WormPorts(pushed[0]), expected);                 // the old ports and the new one
  EXPECT_THAT(pushed[0].dns_qtypes(), ElementsAre(15, 16));  // the flag still wins
  EXPECT_THAT(pushed[0].smtp_ports(), ElementsAre(25, 465, 587, 2525));
  EXPECT_EQ(broadcast.Current().SerializeAsString(), pushed[0].SerializeAsString());
  broadcast.Unsubscribe(sub.id);
}

TEST_F(ServeRulesTest, ABadReloadPublishesNothingAndKeepsTheRules) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  const std::string digest = (*holder)->Current()->digest;
  CaptureConfigBroadcast broadcast(DeriveCaptureConfig(*(*holder)->Current()));
  PushCaptureConfigOnReload(holder->get(), &broadcast, {});
  int pushed = 0;
  auto sub = broadcast.Subscribe([&pushed](const auto&) { ++pushed; });
  Append("worms.textproto", kNewFamily);
  Append("detection.textproto", "rule { name: \"x\" bogus: 1 }\n");
  absl::Status s = ReloadRulesAndLog(holder->get());
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("detection.textproto:"));
  EXPECT_EQ(pushed, 0);
  EXPECT_EQ((*holder)->Current()->digest, digest);
  EXPECT_FALSE(WormPorts(broadcast.Current()).count({cleansweep::v1::TRANSPORT_TCP, 31337}));
  broadcast.Unsubscribe(sub.id);
}

// Expected string written by hand from DESIGN.md's port list.
TEST(CaptureConfigSummaryTest, FoldsPortRuns) {
  EXPECT_EQ(CaptureConfigSummary(DefaultCaptureConfig()),
            "SMTP ports 25,465,587,2525; worm ports tcp "
            "82,135,445,665,1034,1080,2745,3127-3198,4444,5554,6777,8866,9996,10080 udp 69; "
            "DNS qtypes 15");
  EXPECT_EQ(CaptureConfigSummary({}),
            "SMTP ports none; worm ports tcp none udp none; DNS qtypes none");
}

}  // namespace
}  // namespace cleansweep::collector
