#include "collector/detect/evaluate.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/detect_test_util.h"
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

std::vector<Finding> Judge(const std::vector<Event>& events, const std::string& agent = "ws") {
  Evaluation eval(TestRules());
  for (const Event& e : events) eval.Add(agent, e);
  return eval.Judge();
}

std::vector<Finding> OfRule(const std::vector<Finding>& all, const std::string& rule) {
  std::vector<Finding> out;
  for (const Finding& f : all) {
    if (f.rule() == rule) out.push_back(f);
  }
  return out;
}

TEST(EvaluateTest, DistinctDestinationsFireAtTheThresholdInsideTheWindow) {
  // Three distinct external servers; a repeat to the first does not count twice.
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 100, "10.1.1.7", "203.0.113.1"),
                               Smtp(3, 200, "10.1.1.7", "203.0.113.2"),
                               Smtp(4, 300, "10.1.1.7", "203.0.113.3")};
  std::vector<Finding> dest = OfRule(Judge(events), "dest");
  ASSERT_EQ(dest.size(), 1u);
  const Finding& f = dest[0];
  EXPECT_EQ(f.host(), "10.1.1.7");
  EXPECT_EQ(f.agent_id(), "ws");
  EXPECT_EQ(f.severity(), cleansweep::v1::SEVERITY_MASS_MAILING);
  EXPECT_EQ(f.peak(), 3);
  EXPECT_EQ(f.total(), 3);
  EXPECT_EQ(SecondsOf(f.first_time()), 0);
  EXPECT_EQ(SecondsOf(f.fired_time()), 300);
  EXPECT_EQ(SecondsOf(f.last_time()), 300);
  // Evidence: the four counted events in order (the fired one is among the first five).
  ASSERT_EQ(f.evidence_size(), 4);
  EXPECT_EQ(f.evidence(0).sequence(), 1u);
  EXPECT_EQ(f.evidence(3).sequence(), 4u);
  EXPECT_FALSE(f.rules_digest().empty());
  // Attempts: 4 in 600 s reaches that rule's threshold too.
  EXPECT_EQ(OfRule(Judge(events), "attempts").size(), 1u);
}

TEST(EvaluateTest, TheWindowExcludesWhatIsExactlyOneWindowOld) {
  // 600 s window: (t-600, t]. At t=600 the event at 0 has left.
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 300, "10.1.1.7", "203.0.113.2"),
                               Smtp(3, 600, "10.1.1.7", "203.0.113.3")};
  EXPECT_TRUE(OfRule(Judge(events), "dest").empty());
  events[2] = Smtp(3, 599, "10.1.1.7", "203.0.113.3");
  EXPECT_EQ(OfRule(Judge(events), "dest").size(), 1u);
}

TEST(EvaluateTest, RelaysInternalServersAndExemptSourcesDoNotCount) {
  std::vector<Event> events;
  uint64_t seq = 0;
  for (int i = 0; i < 20; ++i) {
    events.push_back(Smtp(++seq, i, "10.1.1.7", "10.0.0.25"));                      // the relay
    events.push_back(Smtp(++seq, i, "10.1.1.7", absl::StrCat("10.9.9.", i + 1)));  // internal
    events.push_back(Smtp(++seq, i, "10.1.1.7", absl::StrCat("203.0.113.", i + 1), 587));
    events.push_back(Smtp(++seq, i, "10.0.0.25", absl::StrCat("198.51.100.", i + 1)));  // relay out
    events.push_back(Smtp(++seq, i, "10.0.0.26", absl::StrCat("198.51.100.", i + 1)));  // mail server
    events.push_back(Mx(++seq, i, "10.0.0.26", absl::StrCat("d", i, ".example")));
    events.push_back(Smtp(++seq, i, "192.0.2.9", absl::StrCat("198.51.100.", i + 1)));  // outside
  }
  EXPECT_TRUE(Judge(events).empty());
}

TEST(EvaluateTest, MxNamesAreCountedOnceWhateverTheirCase) {
  std::vector<Event> events = {Mx(1, 0, "10.1.1.7", "a.example"), Mx(2, 1, "10.1.1.7", "A.EXAMPLE."),
                               Mx(3, 2, "10.1.1.7", "b.example")};
  EXPECT_TRUE(OfRule(Judge(events), "mx").empty());
  events.push_back(Mx(4, 3, "10.1.1.7", "c.example"));
  std::vector<Finding> mx = OfRule(Judge(events), "mx");
  ASSERT_EQ(mx.size(), 1u);
  EXPECT_EQ(mx[0].peak(), 3);
}

TEST(EvaluateTest, RecipientsAndForgedSendersAreSummedFromTransactions) {
  // 4 + 5 recipients stay below 10; the third mail makes 11.
  std::vector<Event> events = {Mail(1, 0, "10.1.1.7", "203.0.113.1", "x@other.example", 4),
                               Mail(2, 10, "10.1.1.7", "203.0.113.1", "y@mail.example.com", 5)};
  std::vector<Finding> all = Judge(events);
  EXPECT_TRUE(OfRule(all, "rcpt").empty());
  EXPECT_TRUE(OfRule(all, "forged").empty());  // one forged transaction, threshold 2
  events.push_back(Mail(3, 20, "10.1.1.7", "203.0.113.2", "z@EXAMPLE.COM", 2));
  all = Judge(events);
  ASSERT_EQ(OfRule(all, "rcpt").size(), 1u);
  EXPECT_EQ(OfRule(all, "rcpt")[0].peak(), 11);
  ASSERT_EQ(OfRule(all, "forged").size(), 1u);  // subdomain and upper case are ours
  EXPECT_EQ(OfRule(all, "forged")[0].peak(), 2);
  // "notexample.com" is not ours.
  std::vector<Event> lookalike = {Mail(1, 0, "10.1.1.7", "203.0.113.1", "a@notexample.com", 1),
                                  Mail(2, 1, "10.1.1.7", "203.0.113.1", "b@notexample.com", 1)};
  EXPECT_TRUE(OfRule(Judge(lookalike), "forged").empty());
}

TEST(EvaluateTest, FailedRatioNeedsTheMinimumAttemptsAndTheFraction) {
  using cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
  // 4 attempts, 3 failed = 0.75: fires. 2 of 4 failed: does not.
  std::vector<Event> events = {Worm(1, 0, "10.1.1.7", "10.2.0.1", 445),
                               Worm(2, 1, "10.1.1.7", "10.2.0.1", 445),
                               Worm(3, 2, "10.1.1.7", "10.2.0.1", 445),
                               Worm(4, 3, "10.1.1.7", "10.2.0.1", 445, CONNECTION_OUTCOME_ESTABLISHED)};
  std::vector<Finding> ratio = OfRule(Judge(events), "ratio");
  ASSERT_EQ(ratio.size(), 1u);
  EXPECT_EQ(ratio[0].attempts(), 4);
  EXPECT_EQ(ratio[0].failed(), 3);
  events[2] = Worm(3, 2, "10.1.1.7", "10.2.0.1", 445, CONNECTION_OUTCOME_ESTABLISHED);
  EXPECT_TRUE(OfRule(Judge(events), "ratio").empty());
  // Three attempts all failed: below the minimum number of attempts.
  events.pop_back();
  events[2] = Worm(3, 2, "10.1.1.7", "10.2.0.1", 445);
  EXPECT_TRUE(OfRule(Judge(events), "ratio").empty());
}

TEST(EvaluateTest, FanOutCountsTheBusiestPortNotTheSum) {
  std::vector<Event> events = {Worm(1, 0, "10.1.1.7", "10.2.0.1", 445),
                               Worm(2, 1, "10.1.1.7", "10.2.0.2", 445),
                               Worm(3, 2, "10.1.1.7", "10.2.0.3", 135),
                               Worm(4, 3, "10.1.1.7", "10.2.0.4", 135),
                               Worm(5, 4, "10.1.1.7", "10.2.0.5", 8080)};  // not a worm port
  EXPECT_TRUE(OfRule(Judge(events), "fanout").empty());
  events.push_back(Worm(6, 5, "10.1.1.7", "10.2.0.6", 135));
  std::vector<Finding> fanout = OfRule(Judge(events), "fanout");
  ASSERT_EQ(fanout.size(), 1u);
  EXPECT_EQ(fanout[0].peak(), 3);
  EXPECT_EQ(fanout[0].severity(), cleansweep::v1::SEVERITY_WORM_SCANNING);
  EXPECT_EQ(SecondsOf(fanout[0].fired_time()), 5);
}

TEST(EvaluateTest, ALullLongerThanTheWindowStartsANewFinding) {
  std::vector<Event> events;
  uint64_t seq = 0;
  for (int burst : {0, 1000}) {
    for (int i = 0; i < 3; ++i) {
      events.push_back(Smtp(++seq, burst + i, "10.1.1.7", absl::StrCat("203.0.113.", burst / 100 + i)));
    }
  }
  std::vector<Finding> dest = OfRule(Judge(events), "dest");
  ASSERT_EQ(dest.size(), 2u);
  EXPECT_EQ(SecondsOf(dest[0].first_time()), 0);
  EXPECT_EQ(SecondsOf(dest[0].last_time()), 2);
  EXPECT_EQ(SecondsOf(dest[1].first_time()), 1000);
  // Firing again within one window continues the same finding.
  events.clear();
  seq = 0;
  for (int t : {0, 1, 2, 500, 501}) {
    events.push_back(Smtp(++seq, t, "10.1.1.7", absl::StrCat("203.0.113.", seq)));
  }
  dest = OfRule(Judge(events), "dest");
  ASSERT_EQ(dest.size(), 1u);
  EXPECT_EQ(SecondsOf(dest[0].last_time()), 501);
  EXPECT_EQ(dest[0].peak(), 5);
  EXPECT_EQ(dest[0].total(), 5);
}

TEST(EvaluateTest, IPv6HostsAreJudgedLikeIPv4) {
  std::vector<Event> events = {Smtp(1, 0, "2001:db8:1::7", "2001:db8:ff::1"),
                               Smtp(2, 1, "2001:db8:1::7", "2001:db8:ff::2"),
                               Smtp(3, 2, "2001:db8:1:0:0:0:0:7", "2001:db8:ff::3")};
  std::vector<Finding> dest = OfRule(Judge(events), "dest");
  ASSERT_EQ(dest.size(), 1u);
  EXPECT_EQ(dest[0].host(), "2001:db8:1::7");
}

TEST(EvaluateTest, FindingsDoNotDependOnTheOrderEventsArrive) {
  std::mt19937 rng(7);
  std::vector<Event> events;
  for (uint64_t seq = 1; seq <= 400; ++seq) {
    const int t = static_cast<int>(rng() % 3000);
    const std::string src = absl::StrCat("10.1.1.", 1 + rng() % 4);
    switch (rng() % 4) {
      case 0: events.push_back(Smtp(seq, t, src, absl::StrCat("203.0.113.", rng() % 20))); break;
      case 1: events.push_back(Mx(seq, t, src, absl::StrCat("d", rng() % 10, ".example"))); break;
      case 2: events.push_back(Worm(seq, t, src, absl::StrCat("10.3.0.", rng() % 30), 445)); break;
      default: events.push_back(Mail(seq, t, src, "198.51.100.1", "a@example.com", 3)); break;
    }
  }
  const std::vector<Finding> expected = Judge(events);
  ASSERT_GT(expected.size(), 10u);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    const std::vector<Finding> got = Judge(events);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].SerializeAsString(), expected[i].SerializeAsString()) << i;
    }
  }
}

}  // namespace
}  // namespace cleansweep::collector
