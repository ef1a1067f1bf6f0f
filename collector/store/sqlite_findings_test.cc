// The store's bulk event scan, single event lookup and live findings
// (schema version 7).
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/temp_store_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Finding;

class SqliteFindingsTest : public test_util::TempStoreTest {
 protected:
  static Event At(uint64_t seq, int64_t seconds) {
    Event e;
    e.set_sequence(seq);
    e.mutable_time()->set_seconds(seconds);
    e.mutable_smtp()->mutable_client()->set_ip("10.0.0.7");
    e.mutable_smtp()->mutable_server()->set_ip(absl::StrCat("203.0.113.", seq));
    e.mutable_smtp()->mutable_server()->set_port(25);
    return e;
  }

  static Finding Of(const std::string& host, const std::string& rule, int64_t first, int64_t last) {
    Finding f;
    f.set_host(host);
    f.set_rule(rule);
    f.set_severity(cleansweep::v1::SEVERITY_MASS_MAILING);
    f.mutable_first_time()->set_seconds(first);
    f.mutable_last_time()->set_seconds(last);
    f.set_rules_digest("d1");
    return f;
  }

  const absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  const AgentIdentity agent_{"ws1", "ws1.example", "1.0", "ipv4:10.0.0.5:5000"};
};

TEST_F(SqliteFindingsTest, ScanVisitsExactlyTheEventsOfTheRangeWithTheirBytes) {
  std::vector<Event> events;
  for (uint64_t s = 1; s <= 10; ++s) events.push_back(At(s, 1000 + static_cast<int64_t>(s) * 10));
  ASSERT_TRUE(store_->AppendEvents(agent_, events, now_).ok());
  // [1030, 1070] holds sequences 3..7 (times 1030..1070), both ends included.
  std::set<uint64_t> seen;
  absl::Status st = store_->ScanEvents(
      absl::FromUnixSeconds(1030), absl::FromUnixSeconds(1070),
      [&](absl::string_view agent, absl::string_view payload) {
        EXPECT_EQ(agent, "ws1");
        Event e;
        EXPECT_TRUE(e.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
        EXPECT_EQ(e.SerializeAsString(), events[e.sequence() - 1].SerializeAsString());
        seen.insert(e.sequence());
        return absl::OkStatus();
      });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(seen, (std::set<uint64_t>{3, 4, 5, 6, 7}));
  // The visitor's error ends the scan and is returned.
  int calls = 0;
  st = store_->ScanEvents(absl::InfinitePast(), absl::InfiniteFuture(),
                          [&](absl::string_view, absl::string_view) {
                            ++calls;
                            return absl::CancelledError("enough");
                          });
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST_F(SqliteFindingsTest, GetEventFindsOneEventOrSaysNotFound) {
  ASSERT_TRUE(store_->AppendEvents(agent_, std::vector<Event>{At(1, 5), At(2, 6)}, now_).ok());
  absl::StatusOr<StoredEvent> e = store_->GetEvent("ws1", 2);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->event.smtp().server().ip(), "203.0.113.2");
  EXPECT_EQ(store_->GetEvent("ws1", 3).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetEvent("ws2", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteFindingsTest, HostFindingsAreReplacedAsAWholeAndListedByOverlap) {
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.7", {Of("10.0.0.7", "a", 100, 200),
                                                        Of("10.0.0.7", "b", 300, 400)}, now_).ok());
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.8", {Of("10.0.0.8", "a", 150, 160)}, now_).ok());
  // Replacing 10.0.0.7's list drops "b" and keeps 10.0.0.8's.
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.7", {Of("10.0.0.7", "a", 100, 250)}, now_).ok());
  absl::StatusOr<std::vector<Finding>> all =
      store_->ListFindings(absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].host(), "10.0.0.7");
  EXPECT_EQ((*all)[0].last_time().seconds(), 250);
  EXPECT_EQ((*all)[1].host(), "10.0.0.8");
  // Overlap with [240, 1000]: only the finding that lasts until 250.
  all = store_->ListFindings(absl::FromUnixSeconds(240), absl::FromUnixSeconds(1000));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].host(), "10.0.0.7");
  // A finding of another host is refused and nothing changes.
  EXPECT_EQ(store_->ReplaceHostFindings("10.0.0.7", {Of("10.0.0.9", "a", 1, 2)}, now_).code(),
            absl::StatusCode::kInvalidArgument);
  all = store_->ListFindings(absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(SqliteFindingsTest, SweepFindingsAndEventFindingsAreReplacedApart) {
  auto sweep = [](const std::string& host, const std::string& agent, const std::string& rule,
                  int64_t at) {
    Finding f = Of(host, rule, at, at);
    f.set_agent_id(agent);
    f.set_signal(cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER);
    return f;
  };
  auto rules_at = [&](const std::string& host) {
    std::vector<std::string> out;
    const std::vector<Finding> stored =
        *store_->ListFindings(absl::InfinitePast(), absl::InfiniteFuture());
    for (const Finding& f : stored) {
      if (f.host() == host) out.push_back(absl::StrCat(f.rule(), "/", f.agent_id()));
    }
    return out;
  };
  Finding event = Of("10.0.0.7", "smtp_burst", 100, 200);
  event.set_agent_id("ws1");
  event.set_signal(cleansweep::v1::SIGNAL_SMTP_EXTERNAL_DESTINATIONS);
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.7", {event}, now_).ok());
  ASSERT_TRUE(store_
                  ->ReplaceSweepFindings("10.0.0.7", "ws1",
                                         {sweep("10.0.0.7", "ws1", "backdoor", 150)}, now_)
                  .ok());
  // Another agent once held the address: its sweep findings are its own.
  ASSERT_TRUE(store_
                  ->ReplaceSweepFindings("10.0.0.7", "ws9",
                                         {sweep("10.0.0.7", "ws9", "backdoor", 50)}, now_)
                  .ok());
  EXPECT_EQ(rules_at("10.0.0.7"),
            (std::vector<std::string>{"backdoor/ws9", "smtp_burst/ws1", "backdoor/ws1"}));

  // The live detector's next round replaces the event findings only.
  Finding later = Of("10.0.0.7", "smtp_burst", 100, 300);
  later.set_agent_id("ws1");
  later.set_signal(cleansweep::v1::SIGNAL_SMTP_EXTERNAL_DESTINATIONS);
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.7", {later}, now_).ok());
  EXPECT_EQ(rules_at("10.0.0.7"),
            (std::vector<std::string>{"backdoor/ws9", "smtp_burst/ws1", "backdoor/ws1"}));
  ASSERT_TRUE(store_->ReplaceHostFindings("10.0.0.7", {}, now_).ok());
  EXPECT_EQ(rules_at("10.0.0.7"), (std::vector<std::string>{"backdoor/ws9", "backdoor/ws1"}));
  // An agent's sweep findings replaced: only its own, at that host.
  ASSERT_TRUE(store_->ReplaceSweepFindings("10.0.0.7", "ws1", {}, now_).ok());
  EXPECT_EQ(rules_at("10.0.0.7"), (std::vector<std::string>{"backdoor/ws9"}));

  // Refused, changing nothing: another host, another agent, an event finding.
  EXPECT_TRUE(absl::IsInvalidArgument(store_->ReplaceSweepFindings(
      "10.0.0.7", "ws9", {sweep("10.0.0.8", "ws9", "backdoor", 1)}, now_)));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->ReplaceSweepFindings(
      "10.0.0.7", "ws9", {sweep("10.0.0.7", "ws1", "backdoor", 1)}, now_)));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->ReplaceSweepFindings("10.0.0.7", "ws9", {later}, now_)));
  EXPECT_EQ(rules_at("10.0.0.7"), (std::vector<std::string>{"backdoor/ws9"}));
}

}  // namespace
}  // namespace cleansweep::collector
