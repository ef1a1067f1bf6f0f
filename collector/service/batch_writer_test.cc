#include "collector/service/batch_writer.h"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "collector/store/sqlite_event_store.h"
#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;

class BatchWriterTest : public test_util::TempStoreTest {
 protected:
  static AgentIdentity Agent(const std::string& id) { return {id, id + ".example", "1", "peer"}; }

  // The writer borrows a batch until its completion: the fixture keeps each
  // one alive for the whole test.
  EventRange Keep(std::vector<Event> events) {
    kept_.push_back(std::move(events));
    return kept_.back();
  }
  std::deque<std::vector<Event>> kept_;  // outlives every writer of a test

  static std::vector<Event> Dns(uint64_t first, uint64_t last) {
    std::vector<Event> events;
    for (uint64_t s = first; s <= last; ++s) {
      Event e;
      e.set_sequence(s);
      e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(s));
      e.mutable_dns()->set_name("example.com");
      e.mutable_dns()->mutable_client()->set_ip("10.0.0.5");
      events.push_back(e);
    }
    return events;
  }

  // Events of `agent` as another connection sees them: only committed rows.
  size_t CommittedEvents(const std::string& agent) {
    SqliteOptions options;
    options.read_only = true;
    options.create = false;
    auto reader = OpenSqliteEventStore(path_, options);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return 0;
    EventFilter filter;
    filter.agent_id = agent;
    auto events = (*reader)->ListEvents(filter);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? events->size() : 0;
  }

};

TEST_F(BatchWriterTest, AcknowledgesOnlyWhatAnotherConnectionCanAlreadyRead) {
  BatchWriter writer(store_.get());
  std::promise<size_t> seen_at_ack;
  std::promise<absl::StatusOr<uint64_t>> acked;
  writer.Submit(Agent("a1"), Keep(Dns(1, 40)), {}, nullptr, [&](absl::StatusOr<uint64_t> result) {
    // Committed means visible to a separate connection (WAL isolation hides
    // an open transaction), so at ack time all 40 rows must be readable.
    seen_at_ack.set_value(CommittedEvents("a1"));
    acked.set_value(std::move(result));
  });
  EXPECT_EQ(seen_at_ack.get_future().get(), 40u);
  absl::StatusOr<uint64_t> result = acked.get_future().get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 40u);
}

TEST_F(BatchWriterTest, BatchesWaitingDuringACommitShareTheNextCommit) {
  BatchWriter writer(store_.get());
  absl::Notification release;
  std::promise<void> first_done;
  // The first batch's completion holds the writer thread, so the next three
  // batches queue up meanwhile; they must then go out in one commit.
  absl::Notification holding;
  writer.Submit(Agent("a0"), Keep(Dns(1, 10)), {}, nullptr, [&](absl::StatusOr<uint64_t> r) {
    EXPECT_TRUE(r.ok());
    holding.Notify();
    release.WaitForNotification();
    first_done.set_value();
  });
  holding.WaitForNotification();
  EXPECT_EQ(writer.commits(), 1u);
  std::vector<std::promise<absl::StatusOr<uint64_t>>> results(3);
  // Agent a2 sends sequences 1-5 and 7-9: contiguous only through 5.
  writer.Submit(Agent("a1"), Keep(Dns(1, 20)), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { results[0].set_value(std::move(r)); });
  std::vector<Event> a2 = Dns(1, 5);
  for (Event& e : Dns(7, 9)) a2.push_back(e);
  writer.Submit(Agent("a2"), Keep(a2), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { results[1].set_value(std::move(r)); });
  writer.Submit(Agent("a3"), Keep(Dns(1, 3)), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { results[2].set_value(std::move(r)); });
  release.Notify();
  first_done.get_future().get();
  std::vector<uint64_t> acked;
  for (auto& p : results) {
    absl::StatusOr<uint64_t> r = p.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status();
    acked.push_back(*r);
  }
  EXPECT_THAT(acked, ::testing::ElementsAre(20u, 5u, 3u));
  EXPECT_EQ(writer.batches(), 4u);
  EXPECT_EQ(writer.commits(), 2u);
  EXPECT_EQ(CommittedEvents("a2"), 8u);
}

TEST_F(BatchWriterTest, ARefusedBatchDoesNotTakeTheOthersInItsGroupDown) {
  BatchWriter writer(store_.get());
  absl::Notification release;
  absl::Notification holding;
  writer.Submit(Agent("a0"), Keep(Dns(1, 1)), {}, nullptr, [&](absl::StatusOr<uint64_t>) {
    holding.Notify();
    release.WaitForNotification();
  });
  holding.WaitForNotification();
  std::promise<absl::StatusOr<uint64_t>> good, bad;
  std::vector<Event> invalid = Dns(1, 3);
  invalid[2].set_sequence(0);  // sequence 0 is invalid: the whole batch is refused
  writer.Submit(Agent("bad"), Keep(invalid), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { bad.set_value(std::move(r)); });
  writer.Submit(Agent("good"), Keep(Dns(1, 4)), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { good.set_value(std::move(r)); });
  release.Notify();
  absl::StatusOr<uint64_t> b = bad.get_future().get();
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<uint64_t> g = good.get_future().get();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, 4u);
  EXPECT_EQ(CommittedEvents("bad"), 0u);
  EXPECT_EQ(CommittedEvents("good"), 4u);
}

TEST_F(BatchWriterTest, OnStoredSeesAcceptedBatchesOnlyAndBeforeTheirAck) {
  std::vector<std::string> observed;  // written and read on the writer thread only
  BatchWriterOptions options;
  options.on_stored = [&](const AgentIdentity& agent, EventRange events,
                          const std::shared_ptr<void>& /*prepared*/) {
    observed.push_back(absl::StrCat(agent.agent_id, ":", events.size(), ":",
                                    CommittedEvents(agent.agent_id)));
  };
  BatchWriter writer(store_.get(), options);
  std::vector<Event> invalid = Dns(1, 2);
  invalid[1].set_sequence(0);
  std::promise<std::vector<std::string>> at_bad_ack, at_good_ack;
  writer.Submit(Agent("bad"), Keep(invalid), {}, nullptr, [&](absl::StatusOr<uint64_t> r) {
    EXPECT_FALSE(r.ok());
    at_bad_ack.set_value(observed);
  });
  writer.Submit(Agent("good"), Keep(Dns(1, 5)), {}, nullptr, [&](absl::StatusOr<uint64_t> r) {
    EXPECT_TRUE(r.ok());
    at_good_ack.set_value(observed);
  });
  EXPECT_TRUE(at_bad_ack.get_future().get().empty());
  // Observed once, with its 5 events, already committed, before its ack.
  EXPECT_THAT(at_good_ack.get_future().get(), ::testing::ElementsAre("good:5:5"));
}

TEST_F(BatchWriterTest, DuplicatesAreStoredOnceAndStillAcknowledged) {
  BatchWriter writer(store_.get());
  for (int round = 0; round < 2; ++round) {
    std::promise<absl::StatusOr<uint64_t>> acked;
    writer.Submit(Agent("a1"), Keep(Dns(1, 6)), {}, nullptr,
                  [&](absl::StatusOr<uint64_t> r) { acked.set_value(std::move(r)); });
    absl::StatusOr<uint64_t> r = acked.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 6u);
  }
  EXPECT_EQ(CommittedEvents("a1"), 6u);
}

TEST_F(BatchWriterTest, StopCompletesWhatIsQueuedAndRefusesTheRest) {
  BatchWriter writer(store_.get());
  std::promise<absl::StatusOr<uint64_t>> queued;
  writer.Submit(Agent("a1"), Keep(Dns(1, 2)), {}, nullptr,
                [&](absl::StatusOr<uint64_t> r) { queued.set_value(std::move(r)); });
  writer.Stop();
  absl::StatusOr<uint64_t> q = queued.get_future().get();
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q, 2u);
  absl::Status late;
  writer.Submit(Agent("a1"), Keep(Dns(3, 3)), {}, nullptr, [&](absl::StatusOr<uint64_t> r) { late = r.status(); });
  EXPECT_EQ(late.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CommittedEvents("a1"), 2u);
}

}  // namespace
}  // namespace cleansweep::collector
