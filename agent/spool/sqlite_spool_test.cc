// SqliteSpool against a real SQLite file in a temporary directory. Sizes are
// multiples of one event's serialized size S (every test event has the same
// size), so the expected drops are counted by hand.
#include "agent/spool/sqlite_spool.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::Event;
using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;

// Sequences 1..127 keep every field the same width: one serialized size.
Event MakeEvent(uint64_t seq) {
  Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  e.set_interface("eth0");
  e.mutable_smtp()->mutable_client()->set_ip(absl::StrCat("10.0.0.", 100 + seq % 100));
  e.mutable_smtp()->mutable_server()->set_ip("192.0.2.25");
  e.mutable_smtp()->mutable_server()->set_port(25);
  return e;
}

uint64_t EventSize() { return MakeEvent(1).ByteSizeLong(); }

std::vector<uint64_t> Sequences(const OutboundQueue& q, uint64_t after = 0, size_t max = 1000) {
  google::protobuf::RepeatedPtrField<Event> out;
  q.CopyAfter(after, max, &out);
  std::vector<uint64_t> seqs;
  for (const Event& e : out) seqs.push_back(e.sequence());
  return seqs;
}

class SqliteSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_spool_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // Precondition of the hand counts below.
    for (uint64_t s = 1; s <= 120; ++s) ASSERT_EQ(MakeEvent(s).ByteSizeLong(), EventSize());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteSpool> OpenSpool(uint64_t max_bytes = 1 << 20) {
    SqliteSpoolOptions o;
    o.path = dir_ + "/spool.db";
    o.max_bytes = max_bytes;
    auto spool = SqliteSpool::Open(o);
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }

  std::string dir_;
};

TEST_F(SqliteSpoolTest, EventsAndLastSequenceSurviveReopen) {
  {
    auto spool = OpenSpool();
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->size(), 0u);
    EXPECT_EQ(spool->last_sequence(), 0u);
    for (uint64_t s = 1; s <= 5; ++s) spool->Push(MakeEvent(s));
  }
  auto spool = OpenSpool();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->size(), 5u);
  EXPECT_EQ(spool->first_sequence(), 1u);
  EXPECT_EQ(spool->last_sequence(), 5u);
  google::protobuf::RepeatedPtrField<Event> out;
  EXPECT_EQ(spool->CopyAfter(0, 100, &out), 5u);
  ASSERT_EQ(out.size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(out[i], MakeEvent(i + 1))) << out[i].DebugString();
  }
  OutboundQueueStats st = spool->stats();
  EXPECT_EQ(st.events, 5u);
  EXPECT_EQ(st.bytes, 5 * EventSize());
  EXPECT_EQ(st.oldest_time_us, (1700000000 + 1) * int64_t{1000000});
  EXPECT_EQ(st.lost_events, 0u);
}

TEST_F(SqliteSpoolTest, LastSequenceSurvivesEvenWhenEverythingIsAcknowledged) {
  {
    auto spool = OpenSpool();
    ASSERT_NE(spool, nullptr);
    for (uint64_t s = 1; s <= 3; ++s) spool->Push(MakeEvent(s));
    spool->AckThrough(3);
    EXPECT_EQ(spool->size(), 0u);
    EXPECT_EQ(spool->first_sequence(), 0u);
  }
  {
    auto spool = OpenSpool();
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->size(), 0u);
    EXPECT_EQ(spool->last_sequence(), 3u);  // the next event is 4, not 1
    ASSERT_TRUE(spool->RaiseLastSequence(40).ok());
    ASSERT_TRUE(spool->RaiseLastSequence(7).ok());  // never lowers
  }
  auto spool = OpenSpool();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->last_sequence(), 40u);
}

TEST_F(SqliteSpoolTest, AckThroughDeletesAcknowledgedRows) {
  {
    auto spool = OpenSpool();
    ASSERT_NE(spool, nullptr);
    for (uint64_t s = 1; s <= 10; ++s) spool->Push(MakeEvent(s));
    spool->AckThrough(4);
    EXPECT_EQ(spool->size(), 6u);
    EXPECT_EQ(spool->first_sequence(), 5u);
    EXPECT_EQ(spool->stats().bytes, 6 * EventSize());
    spool->AckThrough(2);  // older ack: nothing changes
    EXPECT_EQ(spool->size(), 6u);
  }
  auto spool = OpenSpool();
  ASSERT_NE(spool, nullptr);
  EXPECT_THAT(Sequences(*spool), ElementsAre(5, 6, 7, 8, 9, 10));
  EXPECT_EQ(spool->stats().bytes, 6 * EventSize());
  spool->AckThrough(10);
  EXPECT_EQ(spool->size(), 0u);
  EXPECT_EQ(spool->stats().bytes, 0u);
  EXPECT_EQ(spool->stats().oldest_time_us, 0);
}

TEST_F(SqliteSpoolTest, CopyAfterAndCountAfterFollowSequenceOrder) {
  auto spool = OpenSpool();
  ASSERT_NE(spool, nullptr);
  for (uint64_t s : {3, 1, 2, 5, 4}) spool->Push(MakeEvent(s));
  spool->Push(MakeEvent(2));  // already queued: ignored
  EXPECT_EQ(spool->size(), 5u);
  EXPECT_EQ(spool->last_sequence(), 5u);
  google::protobuf::RepeatedPtrField<Event> out;
  EXPECT_EQ(spool->CopyAfter(0, 3, &out), 3u);
  EXPECT_THAT(Sequences(*spool, 0, 3), ElementsAre(1, 2, 3));
  EXPECT_THAT(Sequences(*spool, 3), ElementsAre(4, 5));
  EXPECT_THAT(Sequences(*spool, 5), ElementsAre());
  google::protobuf::RepeatedPtrField<Event> none;
  EXPECT_EQ(spool->CopyAfter(5, 10, &none), 5u);  // nothing after: returns `after`
  EXPECT_EQ(spool->CountAfter(2, 2), 2u);
  EXPECT_EQ(spool->CountAfter(2, 100), 3u);
  EXPECT_EQ(spool->CountAfter(5, 100), 0u);
}

TEST_F(SqliteSpoolTest, FullSpoolDropsOldestAndRecordsTheLostRange) {
  const uint64_t s = EventSize();
  auto spool = OpenSpool(10 * s);  // room for exactly 10 events
  ASSERT_NE(spool, nullptr);
  for (uint64_t q = 1; q <= 10; ++q) spool->Push(MakeEvent(q));
  EXPECT_EQ(spool->size(), 10u);  // at the limit, not over it
  EXPECT_TRUE(spool->lost_ranges().empty());
  for (uint64_t q = 11; q <= 15; ++q) spool->Push(MakeEvent(q));
  // 15 pushed, 10 fit: 1..5 dropped.
  EXPECT_EQ(spool->size(), 10u);
  EXPECT_EQ(spool->first_sequence(), 6u);
  EXPECT_EQ(spool->stats().bytes, 10 * s);
  EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{1, 5, 5, "spool_full"}));
  EXPECT_EQ(spool->stats().lost_events, 5u);
  // Two more: 6 and 7 go, and the adjacent drop extends the same range.
  spool->Push(MakeEvent(16));
  spool->Push(MakeEvent(17));
  EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{1, 7, 7, "spool_full"}));
  EXPECT_THAT(Sequences(*spool), ElementsAre(8, 9, 10, 11, 12, 13, 14, 15, 16, 17));
  // The collector acknowledges through 12 (the gap plus 8..12); then 3 more
  // pushes fit (5 + 3 = 8 events) and nothing is dropped.
  spool->AckThrough(12);
  EXPECT_TRUE(spool->lost_ranges().empty());
  for (uint64_t q = 18; q <= 20; ++q) spool->Push(MakeEvent(q));
  EXPECT_EQ(spool->size(), 8u);
  EXPECT_TRUE(spool->lost_ranges().empty());
  // Overflow again: a new, separate range starting at the oldest held (13).
  for (uint64_t q = 21; q <= 24; ++q) spool->Push(MakeEvent(q));
  EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{13, 14, 2, "spool_full"}));
  EXPECT_EQ(spool->stats().lost_events, 9u);
}

TEST_F(SqliteSpoolTest, LostRangeSurvivesReopenUntilAcknowledged) {
  const uint64_t s = EventSize();
  {
    auto spool = OpenSpool(4 * s);
    ASSERT_NE(spool, nullptr);
    for (uint64_t q = 1; q <= 7; ++q) spool->Push(MakeEvent(q));  // drops 1..3
    EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{1, 3, 3, "spool_full"}));
  }
  {
    auto spool = OpenSpool(4 * s);
    ASSERT_NE(spool, nullptr);
    EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{1, 3, 3, "spool_full"}));
    EXPECT_THAT(Sequences(*spool), ElementsAre(4, 5, 6, 7));
    EXPECT_EQ(spool->last_sequence(), 7u);
    EXPECT_EQ(spool->stats().lost_events, 3u);
    spool->AckThrough(2);  // does not cover the range: kept
    EXPECT_THAT(spool->lost_ranges(), ElementsAre(LostRange{1, 3, 3, "spool_full"}));
  }
  {
    auto spool = OpenSpool(4 * s);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->lost_ranges().size(), 1u);
    spool->AckThrough(3);
    EXPECT_TRUE(spool->lost_ranges().empty());
    EXPECT_EQ(spool->size(), 4u);
  }
  auto spool = OpenSpool(4 * s);
  ASSERT_NE(spool, nullptr);
  EXPECT_TRUE(spool->lost_ranges().empty());
  EXPECT_EQ(spool->stats().lost_events, 3u);  // a running total, kept
}

TEST_F(SqliteSpoolTest, SecondOpenOfTheSameFileFails) {
  auto first = OpenSpool();
  ASSERT_NE(first, nullptr);
  first->Push(MakeEvent(1));
  SqliteSpoolOptions o;
  o.path = dir_ + "/spool.db";
  auto second = SqliteSpool::Open(o);
  EXPECT_FALSE(second.ok());
}

TEST_F(SqliteSpoolTest, BurstOfTenThousandEventsTakesUnderASecond) {
  auto spool = OpenSpool(256u << 20);
  ASSERT_NE(spool, nullptr);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t q = 1; q <= 10000; ++q) spool->Push(MakeEvent(q));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(spool->size(), 10000u);
  RecordProperty("events_per_second", static_cast<int>(10000 / seconds));
  std::printf("spool burst: 10000 events in %.3f s (%.0f events/s)\n", seconds, 10000 / seconds);
  EXPECT_LT(seconds, 1.0);
}

}  // namespace
}  // namespace cleansweep::agent
