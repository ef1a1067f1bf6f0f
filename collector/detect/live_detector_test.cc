#include "collector/detect/live_detector.h"

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/detect_test_util.h"
#include "collector/detect/evaluate.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Finding;
using test_util::Mail;
using test_util::Mx;
using test_util::SecondsOf;
using test_util::Smtp;
using test_util::TestRules;
using test_util::Worm;

struct AgentEvent {
  std::string agent;
  Event event;
};

std::vector<AgentEvent> RandomFleet(uint32_t seed, int n, int span_seconds) {
  std::mt19937 rng(seed);
  std::vector<AgentEvent> out;
  uint64_t seq[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const int host = static_cast<int>(rng() % 4);
    const std::string src = absl::StrCat("10.1.1.", host + 1);
    const std::string agent = absl::StrCat("ws", host + 1);
    const int t = static_cast<int>(rng() % span_seconds);
    const uint64_t s = ++seq[host];
    switch (rng() % 4) {
      case 0: out.push_back({agent, Smtp(s, t, src, absl::StrCat("203.0.113.", rng() % 20))}); break;
      case 1: out.push_back({agent, Mx(s, t, src, absl::StrCat("d", rng() % 10, ".example"))}); break;
      case 2: out.push_back({agent, Worm(s, t, src, absl::StrCat("10.3.0.", rng() % 30), 445)}); break;
      default: out.push_back({agent, Mail(s, t, src, "198.51.100.1", "a@example.com", 3)}); break;
    }
  }
  return out;
}

std::vector<Finding> Batch(const std::vector<AgentEvent>& events) {
  Evaluation eval(TestRules());
  for (const AgentEvent& e : events) eval.Add(e.agent, e.event);
  return eval.Judge();
}

void ExpectSame(const std::vector<Finding>& got, const std::vector<Finding>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString())
        << "finding " << i << "\n got: " << got[i].ShortDebugString()
        << "\nwant: " << want[i].ShortDebugString();
  }
}

TEST(LiveDetectorTest, ArrivalInAnyOrderAndChunkingGivesTheBatchFindings) {
  // Every event lies within the 2 h retention.
  std::vector<AgentEvent> events = RandomFleet(11, 600, 3000);
  const std::vector<Finding> want = Batch(events);
  ASSERT_GT(want.size(), 10u);
  std::mt19937 rng(3);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    LiveDetector live(TestRules(), LiveDetectorOptions{.retention = absl::Hours(2)});
    size_t i = 0;
    while (i < events.size()) {
      const size_t chunk = 1 + rng() % 40;
      for (size_t j = 0; j < chunk && i < events.size(); ++j, ++i) {
        live.Observe(events[i].agent, absl::MakeConstSpan(&events[i].event, 1));
      }
      if (rng() % 2) live.Judge();
    }
    live.Judge();
    ExpectSame(live.Current(), want);
  }
}

// Classify (before the store) then Admit (after) is Observe in two steps:
// the same findings as the batch evaluation, whatever the chunking, with
// the classification done from several threads at once.
TEST(LiveDetectorTest, ClassifyThenAdmitGivesTheBatchFindings) {
  std::vector<AgentEvent> events = RandomFleet(17, 600, 3000);
  const std::vector<Finding> want = Batch(events);
  ASSERT_GT(want.size(), 10u);
  LiveDetector live(TestRules(), LiveDetectorOptions{.retention = absl::Hours(2)});
  // Four threads classify a quarter each; admitted afterwards in any order.
  std::vector<std::vector<LiveDetector::Classified>> classified(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < events.size(); i += 4) {
        classified[t].push_back(
            live.Classify(events[i].agent, absl::MakeConstSpan(&events[i].event, 1)));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < 4; ++t) {
    for (size_t k = 0; k < classified[t].size(); ++k) {
      const AgentEvent& e = events[t + 4 * k];
      live.Admit(std::move(classified[t][k]), e.agent, absl::MakeConstSpan(&e.event, 1));
    }
  }
  live.Judge();
  ExpectSame(live.Current(), want);
  EXPECT_EQ(live.stats().events_observed, events.size());
}

// Rules replaced between Classify and Admit: the facts classified with the
// old rules are not used; the events are classified with the new ones.
TEST(LiveDetectorTest, AdmitAfterNewRulesClassifiesAgain) {
  LiveDetector live(TestRules(), {});
  std::vector<Event> a = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"), Smtp(2, 1, "10.1.1.7", "203.0.113.2"),
                          Smtp(3, 2, "10.1.1.7", "203.0.113.3")};
  LiveDetector::Classified early = live.Classify("ws7", a);
  // Other rules: this host is no longer inside the site, so nothing is kept.
  std::shared_ptr<CompiledRules> outside = std::make_shared<CompiledRules>(*TestRules());
  outside->internal = CidrSet();
  live.SetRules(outside);
  live.Admit(std::move(early), "ws7", a);
  live.Judge();
  EXPECT_TRUE(live.Current().empty());
  EXPECT_EQ(live.stats().facts_judged, 0u);
}

TEST(LiveDetectorTest, JudgeReportsOnlyHostsWhoseFindingsChanged) {
  LiveDetector live(TestRules(), {});
  std::vector<Event> a = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"), Smtp(2, 1, "10.1.1.7", "203.0.113.2")};
  live.Observe("ws7", a);
  EXPECT_TRUE(live.Judge().empty());  // two destinations: below every threshold
  std::vector<Event> b = {Smtp(3, 2, "10.1.1.7", "203.0.113.3")};
  live.Observe("ws7", b);
  std::vector<HostFindings> changed = live.Judge();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].host, "10.1.1.7");
  ASSERT_EQ(changed[0].findings.size(), 1u);
  EXPECT_EQ(changed[0].findings[0].rule(), "dest");
  EXPECT_TRUE(live.Judge().empty());  // nothing new
  // An unrelated host's event does not re-report ws7.
  std::vector<Event> c = {Mx(1, 3, "10.1.1.8", "a.example")};
  live.Observe("ws8", c);
  EXPECT_TRUE(live.Judge().empty());
}

TEST(LiveDetectorTest, AResentEventCountsOnce) {
  LiveDetector live(TestRules(), {});
  std::vector<Event> a = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"), Smtp(2, 1, "10.1.1.7", "203.0.113.2"),
                          Smtp(3, 2, "10.1.1.7", "203.0.113.2"), Smtp(4, 3, "10.1.1.7", "203.0.113.2")};
  live.Observe("ws7", a);
  live.Observe("ws7", a);  // a reconnect resends the batch
  live.Judge();
  // attempts: 4 distinct events -> exactly at threshold 4 once, not 8.
  std::vector<Finding> all = live.Current();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].rule(), "attempts");
  EXPECT_EQ(all[0].peak(), 4);
  EXPECT_EQ(live.stats().duplicates, 4u);
}

TEST(LiveDetectorTest, StateIsBoundedAndAnOldEpisodeKeepsItsStart) {
  LiveDetectorOptions options;
  options.retention = absl::Seconds(1200);
  options.max_facts_per_host = 50;
  LiveDetector live(TestRules(), options);
  // One destination per 100 s for 2 hours: the 600 s window always holds 6,
  // so "dest" fires continuously as one episode from t=0.
  uint64_t seq = 0;
  for (int t = 0; t < 7200; t += 100) {
    std::vector<Event> e = {Smtp(++seq, t, "10.1.1.7", absl::StrCat("203.0.", seq / 200, ".", seq % 200))};
    live.Observe("ws7", e);
    live.Judge();
  }
  LiveDetectorStats stats = live.stats();
  EXPECT_LE(stats.facts_held, 13u);  // 1200 s of one fact per 100 s
  EXPECT_GT(stats.facts_evicted, 50u);
  std::vector<Finding> dest;
  for (const Finding& f : live.Current()) {
    if (f.rule() == "dest") dest.push_back(f);
  }
  ASSERT_EQ(dest.size(), 1u);
  EXPECT_EQ(SecondsOf(dest[0].first_time()), 0);
  EXPECT_EQ(SecondsOf(dest[0].fired_time()), 200);
  EXPECT_EQ(SecondsOf(dest[0].last_time()), 7100);
}

TEST(LiveDetectorTest, EventsOutsideTheInternalNetworksAreNotKept) {
  LiveDetector live(TestRules(), {});
  std::vector<Event> outside = {Smtp(1, 0, "192.0.2.1", "203.0.113.1"),
                                Smtp(2, 0, "not-an-address", "203.0.113.1")};
  live.Observe("edge", outside);
  live.Judge();
  EXPECT_EQ(live.stats().hosts, 0u);
  EXPECT_EQ(live.stats().events_observed, 2u);
}

}  // namespace
}  // namespace cleansweep::collector
