// SweepCoordinator over a real (temporary) SQLite store and a fake clock:
// who is asked, who gets the request when (at once, on connecting later,
// never after expiry), answers judged and stored once, waiting for answers.
#include "collector/sweep/sweep_coordinator.h"

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class Inbox {
 public:
  SweepCoordinator::Deliver Deliver() {
    return [this](const cleansweep::v1::SweepRequest& r) {
      std::lock_guard<std::mutex> lock(mu_);
      ids_.push_back(r.sweep_id());
    };
  }
  std::vector<std::string> ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> ids_;
};

class SweepCoordinatorTest : public test_util::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    options_.clock = [this] {
      std::lock_guard<std::mutex> lock(clock_mu_);
      return now_;
    };
  }
  void Enroll(const std::string& id) {
    AgentCredential c;
    c.agent_id = id;
    c.key_sha256 = std::string(64, id.back());
    c.enrolled_at = now_;
    ASSERT_TRUE(store_->AddAgentCredential(c).ok());
  }
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(clock_mu_);
    now_ += d;
  }
  static cleansweep::v1::SweepResult Answer(const std::string& id, uint32_t listener_port) {
    cleansweep::v1::SweepResult r;
    r.set_sweep_id(id);
    if (listener_port != 0) {
      auto* l = r.add_listeners();
      l->set_transport(cleansweep::v1::TRANSPORT_TCP);
      l->mutable_local()->set_port(listener_port);
    }
    return r;
  }

  std::mutex clock_mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  SweepCoordinatorOptions options_;
};

TEST_F(SweepCoordinatorTest, NobodyToSweepIsAnError) {
  SweepCoordinator c(store_.get(), options_);
  EXPECT_TRUE(absl::IsFailedPrecondition(c.Start(absl::ZeroDuration()).status()));
}

TEST_F(SweepCoordinatorTest, AsksEveryKnownAgentAndDeliversNowOrOnConnect) {
  Enroll("ws1");
  Enroll("ws2");
  ASSERT_TRUE(store_->RevokeAgent("ws2", now_).ok());
  ASSERT_TRUE(store_->UpsertAgent({"ws3", "ws3.example", "0.1.0", "ipv4:10.0.0.3:1"}, now_).ok());
  // Told of each stored answer (once), after it is stored.
  std::vector<std::string> told;
  options_.on_answer = [&](const std::string& agent, const std::string& sweep) {
    SweepAnswerQuery q;
    q.agent_id = agent;
    told.push_back(absl::StrCat(agent, " ", sweep.size(), " stored ",
                                store_->ListSweepAnswers(q)->size()));
  };
  SweepCoordinator c(store_.get(), options_);
  Inbox ws1, ws3;
  const uint64_t sub1 = c.Subscribe("ws1", ws1.Deliver());

  absl::StatusOr<cleansweep::v1::SweepStatus> s = c.Start(absl::ZeroDuration());
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string id = s->request().sweep_id();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(s->asked(), 2u);  // ws1 and ws3; ws2 is revoked
  EXPECT_EQ(s->delivered(), 1u);
  EXPECT_EQ(s->answered(), 0u);
  EXPECT_EQ(s->request().expires_time().seconds() - s->request().issued_time().seconds(),
            24 * 3600);
  EXPECT_FALSE(s->request().backdoor_ports().empty());
  EXPECT_FALSE(s->request().protected_domains().empty());
  EXPECT_THAT(ws1.ids(), ElementsAre(id));

  // ws3 was offline: it gets the sweep when it connects.
  Advance(absl::Hours(1));
  const uint64_t sub3 = c.Subscribe("ws3", ws3.Deliver());
  EXPECT_THAT(ws3.ids(), ElementsAre(id));
  EXPECT_EQ(c.Wait(id, 0, absl::ZeroDuration(), false)->delivered(), 2u);

  // ws1 answers with a Mydoom listener: found, stored once.
  ASSERT_TRUE(c.OnAnswer("ws1", Answer(id, 3127)).ok());
  ASSERT_TRUE(c.OnAnswer("ws1", Answer(id, 0)).ok());  // a repeat is ignored
  EXPECT_THAT(told, ElementsAre("ws1 32 stored 1"));
  absl::StatusOr<cleansweep::v1::SweepStatus> after = c.Wait(id, 0, absl::ZeroDuration(), true);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->answered(), 1u);
  EXPECT_EQ(after->found(), 1u);
  EXPECT_EQ(after->agents(0).agent_id(), "ws1");
  EXPECT_EQ(after->agents(0).verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_THAT(after->agents(0).reasons(),
              ElementsAre("listening on backdoor port 3127/tcp (): process unknown"));
  EXPECT_EQ(after->agents(0).result().listeners(0).local().port(), 3127u);

  // Once answered, a new stream of ws1 is not asked again; ws3 still is.
  Inbox ws1_again, ws3_again;
  c.Subscribe("ws1", ws1_again.Deliver());
  c.Subscribe("ws3", ws3_again.Deliver());
  EXPECT_THAT(ws1_again.ids(), IsEmpty());
  EXPECT_THAT(ws3_again.ids(), ElementsAre(id));

  // Answers from agents the sweep did not ask, or to unknown sweeps, are refused.
  EXPECT_TRUE(absl::IsNotFound(c.OnAnswer("ws2", Answer(id, 0))));
  EXPECT_TRUE(absl::IsNotFound(c.OnAnswer("ws1", Answer("f00d", 0))));
  EXPECT_TRUE(absl::IsNotFound(c.Wait("f00d", 0, absl::ZeroDuration(), false).status()));

  // Unsubscribed streams get nothing more.
  c.Unsubscribe(sub1);
  c.Unsubscribe(sub3);
  ASSERT_TRUE(c.Start(absl::ZeroDuration()).ok());
  EXPECT_EQ(ws1.ids().size(), 1u);
  EXPECT_EQ(ws3.ids().size(), 1u);
}

TEST_F(SweepCoordinatorTest, AnExpiredSweepIsNotDelivered) {
  Enroll("ws1");
  SweepCoordinator c(store_.get(), options_);
  absl::StatusOr<cleansweep::v1::SweepStatus> s = c.Start(absl::Minutes(5));
  ASSERT_TRUE(s.ok());
  Advance(absl::Minutes(5));
  Inbox ws1;
  c.Subscribe("ws1", ws1.Deliver());
  EXPECT_THAT(ws1.ids(), IsEmpty());
  absl::StatusOr<cleansweep::v1::SweepStatus> later =
      c.Wait(s->request().sweep_id(), 0, absl::ZeroDuration(), false);
  EXPECT_TRUE(later->expired());
  EXPECT_EQ(later->delivered(), 0u);
}

TEST_F(SweepCoordinatorTest, LifetimesOutOfRangeAreRefused) {
  Enroll("ws1");
  SweepCoordinator c(store_.get(), options_);
  EXPECT_TRUE(absl::IsInvalidArgument(c.Start(-absl::Seconds(1)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(c.Start(kMaxSweepLifetime + absl::Seconds(1)).status()));
}

TEST_F(SweepCoordinatorTest, WaitReturnsWhenAnAnswerArrives) {
  Enroll("ws1");
  Enroll("ws2");
  SweepCoordinator c(store_.get(), options_);
  const std::string id = c.Start(absl::ZeroDuration())->request().sweep_id();
  absl::StatusOr<cleansweep::v1::SweepStatus> waited;
  std::thread waiter([&] { waited = c.Wait(id, 0, kMaxSweepWait, false); });
  ASSERT_TRUE(c.OnAnswer("ws2", Answer(id, 0)).ok());
  waiter.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->answered(), 1u);
  EXPECT_EQ(waited->found(), 0u);
}

}  // namespace
}  // namespace cleansweep::collector
