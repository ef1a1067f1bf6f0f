// RulesHolder on a real directory: a good reload swaps and notifies, a bad
// one keeps the last good set and says where the files are wrong. Expected
// positions were counted by hand from the texts below (1-based line:column).
#include "collector/rules/rules_holder.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// clang-format off
constexpr char kWorms[] = R"pb(family {
  name: "Sasser.A"
  first_seen: "2004-04-30"
  ports { port: 445 transport: TRANSPORT_TCP role: PORT_ROLE_SCANNING }
  behaviour: "sweeps 445"
  sources { title: "F-Secure" url: "https://www.f-secure.com/weblog/archives/00000155.html" }
}
)pb";
// clang-format on

// `threshold` is on line 5, column 3.
std::string Detection(int threshold) {
  return absl::StrCat(
      "rule {\n"
      "  name: \"worm_port_fanout\"\n"
      "  signal: SIGNAL_WORM_PORT_FANOUT\n"
      "  window { seconds: 300 }\n"
      "  threshold: ",
      threshold,
      "\n"
      "  severity: SEVERITY_WORM_SCANNING\n"
      "}\n");
}

// Four lines; a line appended to it is line 5.
// clang-format off
constexpr char kSite[] = R"pb(name: "test"
internal_networks: "10.0.0.0/8"
mail_domains: "example.com"
clean_coverage: 0.9
)pb";
// clang-format on

class RulesHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_rules_holder_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Write("worms.textproto", kWorms);
    Write("detection.textproto", Detection(25));
    Write("site.textproto", kSite);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ + "/" + name, std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
  }

  std::string dir_;
};

TEST_F(RulesHolderTest, OpensAValidDirectory) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  std::shared_ptr<const RuleSet> rules = (*holder)->Current();
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ((*holder)->generation(), 1u);
  EXPECT_EQ(rules->detection.rule(0).threshold(), 25);
  EXPECT_EQ(rules->digest, LoadRuleSet(dir_)->digest);
}

TEST_F(RulesHolderTest, OpenRefusesInvalidRulesWithTheirPositions) {
  Write("detection.textproto", Detection(0));
  auto holder = RulesHolder::Open(dir_);
  ASSERT_FALSE(holder.ok());
  EXPECT_THAT(RuleErrors(holder.status()),
              ElementsAre(HasSubstr("detection.textproto:5:3: rule 'worm_port_fanout': "
                                    "threshold 0 must be at least 1")));
}

TEST_F(RulesHolderTest, GoodReloadSwapsAndNotifiesEverySubscriberInOrder) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  RulesHolder& h = **holder;
  std::shared_ptr<const RuleSet> before = h.Current();
  std::vector<std::string> calls;
  h.Subscribe([&](std::shared_ptr<const RuleSet> r) {
    // The callback sees the swap already done.
    EXPECT_EQ(h.Current(), r);
    calls.push_back(absl::StrCat("a:", r->detection.rule(0).threshold(), ":", h.generation()));
  });
  h.Subscribe([&](std::shared_ptr<const RuleSet> r) {
    calls.push_back(absl::StrCat("b:", r->detection.rule(0).threshold()));
  });

  Write("detection.textproto", Detection(30));
  ASSERT_TRUE(h.Reload().ok());
  EXPECT_THAT(calls, ElementsAre("a:30:2", "b:30"));
  EXPECT_EQ(h.generation(), 2u);
  EXPECT_EQ(h.Current()->detection.rule(0).threshold(), 30);
  EXPECT_NE(h.Current()->digest, before->digest);
  // A set taken before the reload is still whole.
  EXPECT_EQ(before->detection.rule(0).threshold(), 25);

  // Unchanged files: still a successful reload (same digest, next generation).
  const std::string digest = h.Current()->digest;
  ASSERT_TRUE(h.Reload().ok());
  EXPECT_EQ(h.Current()->digest, digest);
  EXPECT_EQ(h.generation(), 3u);
  EXPECT_THAT(calls, SizeIs(4));
}

TEST_F(RulesHolderTest, BadReloadKeepsTheLastGoodSetAndReportsEveryError) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  RulesHolder& h = **holder;
  std::shared_ptr<const RuleSet> good = h.Current();
  int calls = 0;
  h.Subscribe([&](std::shared_ptr<const RuleSet>) { ++calls; });

  // Two files wrong at once: a semantic error and an unknown field.
  Write("detection.textproto", Detection(0));
  Write("site.textproto", std::string(kSite) + "mail_domain: \"x\"\n");
  absl::Status s = h.Reload();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> errors = RuleErrors(s);
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_THAT(s.message(), HasSubstr("detection.textproto:5:3: rule 'worm_port_fanout': "
                                     "threshold 0 must be at least 1"));
  // The parser points at the ':' after the unknown name (line 5, column 12).
  EXPECT_THAT(s.message(), HasSubstr("site.textproto:5:12: "));
  EXPECT_EQ(h.Current(), good);
  EXPECT_EQ(h.generation(), 1u);
  EXPECT_EQ(calls, 0);

  // A missing file is refused the same way.
  Write("site.textproto", kSite);
  std::filesystem::remove(dir_ + "/detection.textproto");
  EXPECT_EQ(h.Reload().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(h.Current(), good);

  // Fixed: the next reload goes through.
  Write("detection.textproto", Detection(40));
  ASSERT_TRUE(h.Reload().ok());
  EXPECT_EQ(h.Current()->detection.rule(0).threshold(), 40);
  EXPECT_EQ(h.generation(), 2u);
  EXPECT_EQ(calls, 1);
}

// Readers on other threads only ever see whole sets that were valid, while
// reloads alternate between good and bad files.
TEST_F(RulesHolderTest, ReadersSeeOnlyValidatedSetsDuringReloads) {
  auto holder = RulesHolder::Open(dir_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  RulesHolder& h = **holder;
  std::set<std::string> valid_digests = {h.Current()->digest};
  Write("detection.textproto", Detection(31));
  valid_digests.insert(LoadRuleSet(dir_)->digest);
  Write("detection.textproto", Detection(25));

  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const RuleSet> r = h.Current();
        const int64_t t = r->detection.rule(0).threshold();
        if (!valid_digests.count(r->digest) || (t != 25 && t != 31)) ++bad;
      }
    });
  }
  int ok_reloads = 0;
  for (int i = 0; i < 20; ++i) {
    Write("detection.textproto", i % 2 == 0 ? Detection(31) : Detection(-1));
    if (h.Reload().ok()) ++ok_reloads;
    Write("detection.textproto", Detection(25));
    if (h.Reload().ok()) ++ok_reloads;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok_reloads, 30);
  EXPECT_EQ(h.generation(), 31u);
}

}  // namespace
}  // namespace cleansweep::collector
