// ScanEvents reads a range through the time index, by reading the stretch of
// the table its rows sit in, or, when the range covers much of the stored
// span, by scanning the whole table: any way exactly the events of the range,
// each once, with the bytes stored.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/temp_store_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;

class SqliteScanTest : public test_util::TempStoreTest {
 protected:
  // Events of three agents at times 0..2999 s (a few out of order, as agents
  // send them), in batches that interleave the agents.
  void Fill() {
    for (int batch = 0; batch < 30; ++batch) {
      for (int a = 0; a < 3; ++a) {
        const AgentIdentity agent{absl::StrCat("ws", a), "h", "1.0", "ipv4:10.0.0.5:5000"};
        std::vector<Event> events;
        for (int k = 0; k < 100; ++k) {
          Event e;
          const uint64_t seq = static_cast<uint64_t>(batch * 100 + k + 1);
          e.set_sequence(seq);
          e.mutable_time()->set_seconds(batch * 100 + (k * 37 + a) % 100);
          e.mutable_worm_port()->mutable_client()->set_ip(absl::StrCat("10.0.0.", a));
          e.mutable_worm_port()->mutable_server()->set_port(static_cast<uint32_t>(seq));
          stored_[{agent.agent_id, seq}] = {e.time().seconds(), e.SerializeAsString()};
          events.push_back(std::move(e));
        }
        ASSERT_TRUE(store_->AppendEvents(agent, events, absl::FromUnixSeconds(5000)).ok());
      }
    }
  }

  // The range by brute force, and by the store.
  void ExpectRange(absl::Time from, absl::Time to) {
    std::map<std::pair<std::string, uint64_t>, std::string> want, got;
    for (const auto& [key, value] : stored_) {
      const absl::Time t = absl::FromUnixSeconds(value.first);
      if (t >= from && t <= to) want[key] = value.second;
    }
    absl::Status st = store_->ScanEvents(from, to, [&](absl::string_view agent,
                                                       absl::string_view payload) {
      Event e;
      EXPECT_TRUE(e.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
      const bool fresh = got.emplace(std::make_pair(std::string(agent), e.sequence()),
                                     std::string(payload)).second;
      EXPECT_TRUE(fresh) << agent << " " << e.sequence() << " visited twice";
      return absl::OkStatus();
    });
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(got, want) << from << " .. " << to;
  }

  // An agent's spool after an outage: `n` events with times spread over
  // 0..2999 s, stored after everything else.
  void Backlog(int n) {
    const AgentIdentity agent{"late", "h", "1.0", "ipv4:10.0.0.9:5000"};
    std::vector<Event> events;
    for (int k = 0; k < n; ++k) {
      Event e;
      const uint64_t seq = static_cast<uint64_t>(k + 1);
      e.set_sequence(seq);
      e.mutable_time()->set_seconds((k * 3001) % 3000);
      e.mutable_worm_port()->mutable_client()->set_ip("10.0.0.9");
      stored_[{agent.agent_id, seq}] = {e.time().seconds(), e.SerializeAsString()};
      events.push_back(std::move(e));
    }
    ASSERT_TRUE(store_->AppendEvents(agent, events, absl::FromUnixSeconds(9000)).ok());
  }

  std::map<std::pair<std::string, uint64_t>, std::pair<int64_t, std::string>> stored_;
};

TEST_F(SqliteScanTest, LateArrivalsAreFoundWhicheverWayTheRangeIsRead) {
  Fill();
  // Few late events: a narrow range's rows still mostly sit together.
  Backlog(3);
  for (const auto& [from, to] : std::vector<std::pair<int64_t, int64_t>>{
           {100, 199}, {0, 0}, {1000, 1300}, {2998, 2999}, {1, 1}, {2, 500}}) {
    ExpectRange(absl::FromUnixSeconds(from), absl::FromUnixSeconds(to));
  }
}

TEST_F(SqliteScanTest, AWideBacklogFallsBackToTheIndexWithTheSameRows) {
  Fill();
  // Many late events spread over all of time: a narrow range's rows span
  // from its place in the table to the end.
  Backlog(3000);
  for (const auto& [from, to] : std::vector<std::pair<int64_t, int64_t>>{
           {100, 199}, {0, 0}, {1000, 1300}, {2998, 2999}, {0, 2999}}) {
    ExpectRange(absl::FromUnixSeconds(from), absl::FromUnixSeconds(to));
  }
}

TEST_F(SqliteScanTest, NarrowAndWideRangesGiveExactlyTheirEvents) {
  ExpectRange(absl::InfinitePast(), absl::InfiniteFuture());  // empty store
  Fill();
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, 2999},     {-100, 5000}, {100, 199},  {150, 150}, {1000, 2900},
      {2999, 2999},  {3000, 4000}, {-50, -1},   {500, 1400}, {0, 0}};
  for (const auto& [from, to] : ranges) {
    ExpectRange(absl::FromUnixSeconds(from), absl::FromUnixSeconds(to));
  }
  ExpectRange(absl::InfinitePast(), absl::FromUnixSeconds(10));
  ExpectRange(absl::FromUnixSeconds(2990), absl::InfiniteFuture());
  ExpectRange(absl::InfinitePast(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace cleansweep::collector
