// The audit's sweep section over a hand-built store: which sweeps are listed
// for a window (issued in it, found something in it, else the latest before
// its end), each asked host in order with its name, addresses then and what
// was found, and hosts that never answered.
#include "collector/audit/sweep_section.h"

#include <string>
#include <vector>

#include "collector/detect/detect_test_util.h"
#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::SweepSection;
using ::testing::ElementsAre;

const absl::Time kT = absl::FromUnixSeconds(1772442000);

cleansweep::v1::SweepRequest Request(const std::string& id, absl::Time issued) {
  cleansweep::v1::SweepRequest r;
  r.set_sweep_id(id);
  r.mutable_issued_time()->set_seconds(absl::ToUnixSeconds(issued));
  r.mutable_expires_time()->set_seconds(absl::ToUnixSeconds(issued + absl::Hours(24)));
  auto* p = r.add_backdoor_ports();
  p->set_port(3127);
  p->set_transport(cleansweep::v1::TRANSPORT_TCP);
  return r;
}

cleansweep::v1::SweepAgentStatus Clean() {
  cleansweep::v1::SweepAgentStatus a;
  a.set_verdict(cleansweep::v1::SWEEP_VERDICT_CLEAN);
  return a;
}

cleansweep::v1::SweepAgentStatus Found() {
  cleansweep::v1::SweepAgentStatus a;
  a.set_verdict(cleansweep::v1::SWEEP_VERDICT_FOUND);
  a.add_reasons("listening on backdoor port 3127/tcp (0.0.0.0): pid 42 wormy (/tmp/wormy)");
  auto* r = a.mutable_result();
  for (uint32_t port : {3127u, 445u}) {  // 445: a watched worm port, not a backdoor
    auto* l = r->add_listeners();
    l->set_transport(cleansweep::v1::TRANSPORT_TCP);
    l->mutable_local()->set_ip("0.0.0.0");
    l->mutable_local()->set_port(port);
  }
  auto* e = r->add_hosts_redirects();
  e->set_line(2);
  e->set_name("www.symantec.com");
  e->set_address("0.0.0.0");
  e->set_domain("symantec.com");
  return a;
}

std::vector<std::string> Ids(const SweepSection& s) {
  std::vector<std::string> out;
  for (const auto& x : s.sweeps()) out.push_back(x.sweep_id());
  return out;
}

class SweepSectionTest : public test_util::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    for (const auto& [agent, ip] : {std::pair<std::string, std::string>{"ws1", "10.0.0.1"},
                                    {"ws2", "10.0.0.2"}}) {
      cleansweep::v1::HostFacts f;
      auto* eth = f.add_interfaces();
      eth->set_name("eth0");
      eth->add_addresses(ip);
      eth->add_addresses("192.168.9.9");
      ASSERT_TRUE(store_->RecordHostFacts(agent, f, kT - absl::Hours(72)).ok());
    }
    // old: before the window, ws1 clean. prior: before the window, ws2
    // found something inside it. in: inside, ws1 found, ws2 clean, ws3
    // silent. later: after the window.
    ASSERT_TRUE(store_->CreateSweep(Request("old", kT - absl::Hours(48)), {"ws1"}).ok());
    ASSERT_TRUE(store_->RecordSweepAnswer("old", "ws1", Clean(), kT - absl::Hours(47)).ok());
    ASSERT_TRUE(store_->CreateSweep(Request("prior", kT - absl::Hours(1)), {"ws2"}).ok());
    ASSERT_TRUE(store_->RecordSweepAnswer("prior", "ws2", Found(), kT + absl::Hours(2)).ok());
    ASSERT_TRUE(store_->CreateSweep(Request("in", kT + absl::Hours(1)), {"ws1", "ws2", "ws3"}).ok());
    ASSERT_TRUE(store_->MarkSweepDelivered("in", {"ws1", "ws2"}, kT + absl::Hours(1)).ok());
    ASSERT_TRUE(store_->RecordSweepAnswer("in", "ws1", Found(), kT + absl::Minutes(61)).ok());
    ASSERT_TRUE(store_->RecordSweepAnswer("in", "ws2", Clean(), kT + absl::Minutes(62)).ok());
    ASSERT_TRUE(store_->CreateSweep(Request("later", kT + absl::Hours(11)), {"ws1"}).ok());
    // The inventory calls ws1's host pc-one.
    auto* h = coverage_.add_hosts();
    h->set_hostname("pc-one");
    h->set_agent_id("ws1");
  }

  SweepSection Load(absl::Time from, absl::Time to) {
    absl::StatusOr<SweepSection> s =
        LoadSweepSection(*store_, *test_util::TestRules(), coverage_, from, to, kT + absl::Hours(12));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : SweepSection();
  }

  cleansweep::v1::CoverageSection coverage_;
};

TEST_F(SweepSectionTest, TheWindowsSweepsWithEveryAskedHost) {
  const SweepSection s = Load(kT, kT + absl::Hours(10));
  // Newest issued first; "prior" for its answer in the window.
  ASSERT_THAT(Ids(s), ElementsAre("in", "prior"));
  EXPECT_EQ(s.unanswered(), 1u);  // ws3 of "in"
  const auto& in = s.sweeps(0);
  EXPECT_FALSE(in.issued_before_window());
  EXPECT_FALSE(in.expired());  // expires kT + 25 h; "now" is kT + 12 h
  EXPECT_EQ(in.issued_time().seconds(), absl::ToUnixSeconds(kT + absl::Hours(1)));
  EXPECT_EQ(in.asked(), 3u);
  EXPECT_EQ(in.delivered(), 2u);
  EXPECT_EQ(in.answered(), 2u);
  EXPECT_EQ(in.found(), 1u);
  ASSERT_EQ(in.hosts_size(), 3);
  // Found, clean, no answer.
  const auto& one = in.hosts(0);
  EXPECT_EQ(one.hostname(), "pc-one");
  EXPECT_EQ(one.agent_id(), "ws1");
  EXPECT_THAT(one.addresses(), ElementsAre("10.0.0.1", "192.168.9.9"));
  EXPECT_EQ(one.verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_EQ(one.answered_time().seconds(), absl::ToUnixSeconds(kT + absl::Minutes(61)));
  EXPECT_FALSE(one.answered_after_window());
  ASSERT_EQ(one.backdoor_listeners_size(), 1);  // not 445
  EXPECT_EQ(one.backdoor_listeners(0).local().port(), 3127u);
  ASSERT_EQ(one.hosts_redirects_size(), 1);
  EXPECT_EQ(one.hosts_redirects(0).name(), "www.symantec.com");
  EXPECT_THAT(one.reasons(), ElementsAre("listening on backdoor port 3127/tcp (0.0.0.0): pid 42 "
                                         "wormy (/tmp/wormy)"));
  EXPECT_EQ(in.hosts(1).hostname(), "ws2");  // not in the inventory, no agent row
  EXPECT_EQ(in.hosts(1).verdict(), cleansweep::v1::SWEEP_VERDICT_CLEAN);
  EXPECT_TRUE(in.hosts(1).reasons().empty());
  const auto& silent = in.hosts(2);
  EXPECT_EQ(silent.agent_id(), "ws3");
  EXPECT_EQ(silent.verdict(), cleansweep::v1::SWEEP_VERDICT_UNSPECIFIED);
  EXPECT_FALSE(silent.has_answered_time());
  EXPECT_FALSE(silent.has_delivered_time());
  EXPECT_TRUE(silent.addresses().empty());  // it never reported any

  const auto& prior = s.sweeps(1);
  EXPECT_TRUE(prior.issued_before_window());
  ASSERT_EQ(prior.hosts_size(), 1);
  EXPECT_EQ(prior.hosts(0).agent_id(), "ws2");
  EXPECT_EQ(prior.hosts(0).verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
}

TEST_F(SweepSectionTest, AnAnswerAfterTheWindowIsMarked) {
  const SweepSection s = Load(kT + absl::Minutes(30), kT + absl::Minutes(60) + absl::Seconds(30));
  ASSERT_THAT(Ids(s), ElementsAre("in"));
  EXPECT_TRUE(s.sweeps(0).hosts(0).answered_after_window());
  EXPECT_TRUE(s.sweeps(0).hosts(1).answered_after_window());
}

TEST_F(SweepSectionTest, WithoutOneInTheWindowTheLatestBeforeItsEnd) {
  SweepSection s = Load(kT + absl::Hours(20), kT + absl::Hours(21));
  ASSERT_THAT(Ids(s), ElementsAre("later"));
  EXPECT_TRUE(s.sweeps(0).issued_before_window());
  EXPECT_EQ(s.unanswered(), 1u);
  // Before every sweep: none.
  EXPECT_TRUE(Load(kT - absl::Hours(100), kT - absl::Hours(99)).sweeps().empty());
}

}  // namespace
}  // namespace cleansweep::collector
