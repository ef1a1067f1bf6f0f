#include "collector/service/live_detection.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/detect_test_util.h"
#include "collector/store/temp_store_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Finding;
using test_util::Smtp;
using test_util::TestRules;

class LiveDetectionTest : public test_util::TempStoreTest {
 protected:
  std::vector<Finding> Stored() {
    auto all = store_->ListFindings(absl::InfinitePast(), absl::InfiniteFuture());
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<Finding>{};
  }

  const AgentIdentity agent_{"ws7", "ws7", "1", "peer"};
};

TEST_F(LiveDetectionTest, StoresWhatTheDetectorFoundForEachChangedHost) {
  // An interval far beyond the test's life: only JudgeNow judges.
  LiveDetection live(store_.get(), TestRules(), {.interval = absl::Hours(1)});
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 1, "10.1.1.7", "203.0.113.2")};
  live.Observe(agent_, events);
  live.JudgeNow();
  EXPECT_TRUE(Stored().empty());
  std::vector<Event> more = {Smtp(3, 2, "10.1.1.7", "203.0.113.3")};
  live.Observe(agent_, more);
  live.JudgeNow();
  std::vector<Finding> stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].rule(), "dest");
  EXPECT_EQ(stored[0].host(), "10.1.1.7");
  EXPECT_EQ(stored[0].SerializeAsString(), live.detector().Current()[0].SerializeAsString());
}

TEST_F(LiveDetectionTest, NewRulesAreAppliedToTheStoredRecentPast) {
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 1, "10.1.1.7", "203.0.113.2")};
  ASSERT_TRUE(store_->AppendEvents(agent_, events, absl::Now()).ok());
  LiveDetection live(store_.get(), TestRules(), {.interval = absl::Hours(1)});
  live.Observe(agent_, events);
  live.JudgeNow();
  EXPECT_TRUE(Stored().empty());
  // Lower the destination threshold to 2: the two stored events now fire.
  std::string detection = test_util::kTestDetection;
  const std::string from = "threshold: 3 severity: SEVERITY_MASS_MAILING";
  detection.replace(detection.find(from), from.size(), "threshold: 2 severity: SEVERITY_MASS_MAILING");
  live.SetRules(TestRules(detection));
  live.JudgeNow();
  std::vector<Finding> stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].rule(), "dest");
  EXPECT_EQ(stored[0].peak(), 2);
}

// A sweep answer with a backdoor listener becomes a stored finding at the
// host's address; the event findings' replacement leaves it alone; new
// rules judge it anew (here: without the rule, it goes).
TEST_F(LiveDetectionTest, SweepAnswersBecomeFindingsTheEventRoundsKeep) {
  std::string detection = test_util::kTestDetection;
  detection += R"pb(
    rule { name: "backdoor" signal: SIGNAL_SWEEP_BACKDOOR_LISTENER window { seconds: 86400 }
           threshold: 1 severity: SEVERITY_MASS_MAILING })pb";
  cleansweep::v1::HostFacts facts;
  auto* eth = facts.add_interfaces();
  eth->set_name("eth0");
  eth->add_addresses("10.1.1.7");
  const absl::Time t0 = absl::Now() - absl::Hours(1);
  ASSERT_TRUE(store_->RecordHostFacts("ws7", facts, t0).ok());
  cleansweep::v1::SweepRequest request;
  request.set_sweep_id("s1");
  auto* port = request.add_backdoor_ports();
  port->set_port(3127);
  port->set_transport(cleansweep::v1::TRANSPORT_TCP);
  ASSERT_TRUE(store_->CreateSweep(request, {"ws7"}).ok());

  LiveDetection live(store_.get(), TestRules(detection), {.interval = absl::Hours(1)});
  cleansweep::v1::SweepAgentStatus answer;
  answer.set_verdict(cleansweep::v1::SWEEP_VERDICT_FOUND);
  auto* l = answer.mutable_result()->add_listeners();
  l->set_transport(cleansweep::v1::TRANSPORT_TCP);
  l->mutable_local()->set_ip("0.0.0.0");
  l->mutable_local()->set_port(3127);
  auto* p = l->add_processes();
  p->set_pid(4242);
  p->set_name("wormy");
  ASSERT_TRUE(store_->RecordSweepAnswer("s1", "ws7", answer, t0 + absl::Minutes(1)).ok());
  live.OnSweepAnswer("ws7");
  std::vector<Finding> stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].rule(), "backdoor");
  EXPECT_EQ(stored[0].host(), "10.1.1.7");
  EXPECT_EQ(stored[0].agent_id(), "ws7");
  ASSERT_EQ(stored[0].evidence_size(), 1);
  EXPECT_EQ(stored[0].evidence(0).listener().processes(0).pid(), 4242u);

  // The host mass-mails too: both findings are stored, in every round.
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 1, "10.1.1.7", "203.0.113.2"),
                               Smtp(3, 2, "10.1.1.7", "203.0.113.3")};
  live.Observe(agent_, events);
  live.JudgeNow();
  std::vector<Event> more = {Smtp(4, 3, "10.1.1.7", "203.0.113.4")};
  live.Observe(agent_, more);
  live.JudgeNow();
  auto rules = [&] {
    std::vector<std::string> out;
    for (const Finding& f : Stored()) out.push_back(f.rule());
    return out;
  };
  // By first time (the events are older), then rule: 4 attempts fire too.
  EXPECT_EQ(rules(), (std::vector<std::string>{"attempts", "dest", "backdoor"}));
  EXPECT_EQ(Stored()[1].peak(), 4);

  // A detector started later judges the stored answers at once.
  live.Stop();
  ASSERT_TRUE(store_->ReplaceSweepFindings("10.1.1.7", "ws7", {}, absl::Now()).ok());
  {
    LiveDetection again(store_.get(), TestRules(detection), {.interval = absl::Hours(1)});
    EXPECT_EQ(rules(), (std::vector<std::string>{"attempts", "dest", "backdoor"}));
    // Rules without the sweep rule: the sweep finding goes, the others stay.
    again.SetRules(TestRules());
    EXPECT_EQ(rules(), (std::vector<std::string>{"attempts", "dest"}));
  }
}

}  // namespace
}  // namespace cleansweep::collector
