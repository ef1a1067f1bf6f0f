// The sweep tables: a sweep asks agents, pending requests follow delivery,
// answers and expiry, the first answer stays, and ListSweeps returns the
// whole picture (counts, agents with their host names, results) in one call.
#include <string>
#include <vector>

#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::SweepAgentStatus;
using cleansweep::v1::SweepRequest;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

SweepRequest Request(const std::string& id, absl::Time issued, absl::Duration lifetime) {
  SweepRequest r;
  r.set_sweep_id(id);
  r.mutable_issued_time()->set_seconds(absl::ToUnixSeconds(issued));
  r.mutable_expires_time()->set_seconds(absl::ToUnixSeconds(issued + lifetime));
  r.add_protected_domains("symantec.com");
  return r;
}

std::vector<std::string> Ids(const std::vector<SweepRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.sweep_id());
  return out;
}

SweepAgentStatus Answer(cleansweep::v1::SweepVerdict verdict, std::vector<std::string> reasons,
                        uint32_t listener_port) {
  SweepAgentStatus a;
  a.set_verdict(verdict);
  for (auto& r : reasons) a.add_reasons(r);
  a.mutable_result()->set_sweep_id("x");
  if (listener_port != 0)
    a.mutable_result()->add_listeners()->mutable_local()->set_port(listener_port);
  return a;
}

class SqliteSweepsTest : public test_util::TempStoreTest {};

TEST_F(SqliteSweepsTest, PendingFollowsAnswersAndExpiry) {
  ASSERT_TRUE(store_->CreateSweep(Request("s1", kT0, absl::Hours(24)), {"ws1", "ws2"}).ok());
  ASSERT_TRUE(
      store_->CreateSweep(Request("s2", kT0 + absl::Minutes(1), absl::Minutes(10)), {"ws1"}).ok());
  EXPECT_THAT(Ids(*store_->PendingSweeps("ws1", kT0 + absl::Minutes(2))), ElementsAre("s1", "s2"));
  EXPECT_THAT(Ids(*store_->PendingSweeps("ws2", kT0 + absl::Minutes(2))), ElementsAre("s1"));
  EXPECT_TRUE(store_->PendingSweeps("ws3", kT0)->empty());
  // s2 expires at T0+11m: not pending any more at that instant.
  EXPECT_THAT(Ids(*store_->PendingSweeps("ws1", kT0 + absl::Minutes(11))), ElementsAre("s1"));

  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("s1", "ws1",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_CLEAN, {}, 0),
                                      kT0 + absl::Minutes(3))
                  .ok());
  EXPECT_THAT(Ids(*store_->PendingSweeps("ws1", kT0 + absl::Minutes(4))), ElementsAre("s2"));
  // The first answer stays; an agent the sweep did not ask is refused.
  absl::Status again = store_->RecordSweepAnswer(
      "s1", "ws1", Answer(cleansweep::v1::SWEEP_VERDICT_FOUND, {"late"}, 3127), kT0);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  absl::Status stranger = store_->RecordSweepAnswer(
      "s1", "ws9", Answer(cleansweep::v1::SWEEP_VERDICT_CLEAN, {}, 0), kT0);
  EXPECT_TRUE(absl::IsNotFound(stranger)) << stranger;
  absl::Status unknown = store_->RecordSweepAnswer(
      "nope", "ws1", Answer(cleansweep::v1::SWEEP_VERDICT_CLEAN, {}, 0), kT0);
  EXPECT_TRUE(absl::IsNotFound(unknown)) << unknown;
}

TEST_F(SqliteSweepsTest, CreateRefusesRepeatsAndEmptySweeps) {
  ASSERT_TRUE(store_->CreateSweep(Request("s1", kT0, absl::Hours(1)), {"ws1"}).ok());
  EXPECT_TRUE(
      absl::IsAlreadyExists(store_->CreateSweep(Request("s1", kT0, absl::Hours(1)), {"ws2"})));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->CreateSweep(Request("s2", kT0, absl::Hours(1)), {})));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->CreateSweep(Request("", kT0, absl::Hours(1)), {"ws1"})));
  // The refused repeat asked nobody new.
  EXPECT_TRUE(store_->PendingSweeps("ws2", kT0)->empty());
}

TEST_F(SqliteSweepsTest, ListSweepsGivesEverythingInOneCall) {
  AgentIdentity ws1{"ws1", "ws1.example-corp.test", "0.1.0", "ipv4:10.0.0.1:5000"};
  ASSERT_TRUE(store_->UpsertAgent(ws1, kT0).ok());
  ASSERT_TRUE(store_->CreateSweep(Request("old", kT0, absl::Hours(1)), {"ws1"}).ok());
  ASSERT_TRUE(store_
                  ->CreateSweep(Request("new", kT0 + absl::Hours(2), absl::Hours(24)),
                                {"ws1", "ws2", "ws3"})
                  .ok());
  ASSERT_TRUE(store_->MarkSweepDelivered("new", {"ws1", "ws2", "ws9"}, kT0 + absl::Hours(2)).ok());
  // A second delivery keeps the first time.
  ASSERT_TRUE(store_->MarkSweepDelivered("new", {"ws1"}, kT0 + absl::Hours(3)).ok());
  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("new", "ws1",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_FOUND,
                                             {"listening on 3127/tcp: pid 4242 (wormy)",
                                              "hosts file line 2: www.symantec.com"},
                                             3127),
                                      kT0 + absl::Hours(2) + absl::Seconds(5))
                  .ok());
  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("new", "ws2",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_INCOMPLETE, {}, 0),
                                      kT0 + absl::Hours(2) + absl::Seconds(6))
                  .ok());

  absl::StatusOr<std::vector<cleansweep::v1::SweepStatus>> all =
      store_->ListSweeps({}, kT0 + absl::Hours(4));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  const cleansweep::v1::SweepStatus& s = (*all)[0];  // newest first
  EXPECT_EQ(s.request().sweep_id(), "new");
  EXPECT_EQ(s.request().protected_domains(0), "symantec.com");
  EXPECT_EQ(s.asked(), 3u);
  EXPECT_EQ(s.delivered(), 2u);
  EXPECT_EQ(s.answered(), 2u);
  EXPECT_EQ(s.found(), 1u);
  EXPECT_EQ(s.incomplete(), 1u);
  EXPECT_FALSE(s.expired());
  EXPECT_TRUE((*all)[1].expired());
  ASSERT_EQ(s.agents_size(), 3);
  const SweepAgentStatus& a = s.agents(0);
  EXPECT_EQ(a.agent_id(), "ws1");
  EXPECT_EQ(a.hostname(), "ws1.example-corp.test");
  EXPECT_EQ(a.delivered_time().seconds(), absl::ToUnixSeconds(kT0 + absl::Hours(2)));
  EXPECT_EQ(a.answered_time().seconds(), absl::ToUnixSeconds(kT0 + absl::Hours(2)) + 5);
  EXPECT_EQ(a.verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_THAT(a.reasons(), ElementsAre("listening on 3127/tcp: pid 4242 (wormy)",
                                       "hosts file line 2: www.symantec.com"));
  ASSERT_EQ(a.result().listeners_size(), 1);
  EXPECT_EQ(a.result().listeners(0).local().port(), 3127u);
  EXPECT_EQ(s.agents(1).hostname(), "");  // never connected
  EXPECT_TRUE(s.agents(1).reasons().empty());
  EXPECT_FALSE(s.agents(2).has_delivered_time());
  EXPECT_FALSE(s.agents(2).has_answered_time());
  EXPECT_EQ(s.agents(2).verdict(), cleansweep::v1::SWEEP_VERDICT_UNSPECIFIED);

  // One host's sweeps (the Host page): only its row, counts of the whole sweep.
  SweepQuery host;
  host.agent_id = "ws2";
  auto ws2 = store_->ListSweeps(host, kT0 + absl::Hours(4));
  ASSERT_TRUE(ws2.ok());
  ASSERT_EQ(ws2->size(), 1u);
  ASSERT_EQ((*ws2)[0].agents_size(), 1);
  EXPECT_EQ((*ws2)[0].agents(0).agent_id(), "ws2");
  EXPECT_EQ((*ws2)[0].asked(), 3u);

  // Summaries and one sweep by id.
  SweepQuery brief;
  brief.limit = 1;
  brief.with_results = false;
  auto latest = store_->ListSweeps(brief, kT0);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_FALSE((*latest)[0].agents(0).has_result());
  EXPECT_EQ((*latest)[0].agents(0).verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  SweepQuery one;
  one.sweep_id = "old";
  auto old = store_->ListSweeps(one, kT0);
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].asked(), 1u);
  EXPECT_EQ((*old)[0].answered(), 0u);
  one.sweep_id = "missing";
  EXPECT_TRUE(store_->ListSweeps(one, kT0)->empty());

  // Issued in a range (both ends included), counts without agent rows.
  SweepQuery range;
  range.issued_from = kT0 + absl::Hours(1);
  range.issued_to = kT0 + absl::Hours(2);
  range.with_agents = false;
  auto in_range = store_->ListSweeps(range, kT0 + absl::Hours(4));
  ASSERT_EQ(in_range->size(), 1u);
  EXPECT_EQ((*in_range)[0].request().sweep_id(), "new");
  EXPECT_EQ((*in_range)[0].asked(), 3u);
  EXPECT_EQ((*in_range)[0].found(), 1u);
  EXPECT_EQ((*in_range)[0].agents_size(), 0);
  range.issued_to = kT0 + absl::Hours(2) - absl::Microseconds(1);
  EXPECT_TRUE(store_->ListSweeps(range, kT0)->empty());
}

TEST_F(SqliteSweepsTest, AnswersAreListedByTimeAgentAndVerdict) {
  AgentIdentity ws1{"ws1", "ws1.example-corp.test", "0.1.0", "ipv4:10.0.0.1:5000"};
  ASSERT_TRUE(store_->UpsertAgent(ws1, kT0).ok());
  ASSERT_TRUE(store_->CreateSweep(Request("a", kT0, absl::Hours(24)), {"ws1", "ws2", "ws3"}).ok());
  ASSERT_TRUE(store_->CreateSweep(Request("b", kT0 + absl::Hours(1), absl::Hours(24)), {"ws1"}).ok());
  ASSERT_TRUE(store_->MarkSweepDelivered("a", {"ws1"}, kT0 + absl::Seconds(1)).ok());
  auto answer = [&](const std::string& sweep, const std::string& agent,
                    cleansweep::v1::SweepVerdict v, absl::Duration after) {
    ASSERT_TRUE(store_->RecordSweepAnswer(sweep, agent, Answer(v, {"why"}, 3127), kT0 + after).ok());
  };
  answer("a", "ws2", cleansweep::v1::SWEEP_VERDICT_CLEAN, absl::Minutes(2));
  answer("a", "ws1", cleansweep::v1::SWEEP_VERDICT_FOUND, absl::Minutes(3));
  answer("b", "ws1", cleansweep::v1::SWEEP_VERDICT_FOUND, absl::Hours(1) + absl::Minutes(1));
  // ws3 never answers.

  auto key = [](const std::vector<StoredSweepAnswer>& list) {
    std::vector<std::string> out;
    for (const auto& a : list) out.push_back(a.request.sweep_id() + "/" + a.agent_id);
    return out;
  };
  SweepAnswerQuery all;
  auto every = store_->ListSweepAnswers(all);
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_THAT(key(*every), ElementsAre("a/ws2", "a/ws1", "b/ws1"));  // by answer time
  const StoredSweepAnswer& first_found = (*every)[1];
  EXPECT_EQ(first_found.answer.agent_id(), "ws1");
  EXPECT_EQ(first_found.answer.hostname(), "ws1.example-corp.test");
  EXPECT_EQ(first_found.answer.delivered_time().seconds(), absl::ToUnixSeconds(kT0) + 1);
  EXPECT_EQ(first_found.answer.answered_time().seconds(), absl::ToUnixSeconds(kT0) + 180);
  EXPECT_EQ(first_found.answer.verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_THAT(first_found.answer.reasons(), ElementsAre("why"));
  EXPECT_EQ(first_found.answer.result().listeners(0).local().port(), 3127u);
  EXPECT_EQ(first_found.request.protected_domains(0), "symantec.com");

  SweepAnswerQuery found;
  found.found_only = true;
  EXPECT_THAT(key(*store_->ListSweepAnswers(found)), ElementsAre("a/ws1", "b/ws1"));
  found.agent_id = "ws2";
  EXPECT_TRUE(store_->ListSweepAnswers(found)->empty());
  SweepAnswerQuery window;
  window.agent_id = "ws1";
  window.from = kT0 + absl::Minutes(3);
  window.to = kT0 + absl::Hours(1);
  EXPECT_THAT(key(*store_->ListSweepAnswers(window)), ElementsAre("a/ws1"));
  window.agent_id = "";
  window.from = kT0;
  EXPECT_THAT(key(*store_->ListSweepAnswers(window)), ElementsAre("a/ws2", "a/ws1"));
}

}  // namespace
}  // namespace cleansweep::collector
