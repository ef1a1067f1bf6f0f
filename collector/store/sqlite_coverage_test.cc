// Heartbeats stored through the real SQLite store, read back as coverage
// segments, against CoverageIntervals (coverage.h, the definition) of the
// same heartbeats computed in the test.
#include <algorithm>
#include <random>

#include <sqlite3.h>

#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Heartbeat;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

Heartbeat Beat(absl::Time t, uint64_t received, uint64_t dropped, uint32_t interval = 30) {
  Heartbeat h;
  h.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  h.set_interval_seconds(interval);
  auto* i = h.add_interfaces();
  i->set_name("eth0");
  i->set_received(received);
  i->set_dropped(dropped);
  i->set_up(true);
  return h;
}

HeartbeatSample Sample(const Heartbeat& h) {
  HeartbeatSample s{absl::FromUnixSeconds(h.time().seconds()),
                    absl::Seconds(h.interval_seconds()),
                    {}};
  for (const auto& i : h.interfaces()) {
    s.interfaces.push_back({i.name(), i.received(), i.dropped(), i.interface_dropped(), i.up()});
  }
  return s;
}

// A day of an agent: runs of 30 s heartbeats with pauses, counters that
// grow, and a restart.
std::vector<Heartbeat> Day(std::mt19937_64& rng) {
  std::vector<Heartbeat> out;
  absl::Time t = kT0 - absl::Minutes(37);
  uint64_t received = 0, dropped = 0;
  std::uniform_int_distribution<int> percent(0, 99);
  for (int i = 0; i < 1500; ++i) {
    if (percent(rng) < 1) received = dropped = 0;
    received += std::uniform_int_distribution<int>(0, 500)(rng);
    dropped += percent(rng) < 10 ? 1 : 0;
    out.push_back(Beat(t, received, dropped));
    t += percent(rng) < 2 ? absl::Minutes(5) : absl::Seconds(30);
  }
  return out;
}

void ExpectSameIntervals(const std::vector<CoverageInterval>& got,
                         const std::vector<CoverageInterval>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].start, want[i].start);
    EXPECT_EQ(got[i].end, want[i].end);
    EXPECT_EQ(got[i].heartbeats, want[i].heartbeats);
    EXPECT_EQ(got[i].loss.received, want[i].loss.received);
    EXPECT_EQ(got[i].loss.dropped, want[i].loss.dropped);
  }
}

std::vector<CoverageSegment> Segments(const std::vector<StoredCoverageSegment>& stored,
                                      const std::string& agent) {
  std::vector<CoverageSegment> out;
  for (const StoredCoverageSegment& s : stored) {
    if (s.agent_id == agent) out.push_back(s.segment);
  }
  return out;
}

class SqliteCoverageTest : public test_util::TempStoreTest {};

TEST_F(SqliteCoverageTest, HeartbeatsInOrderFoldIntoTheirCoverageIntervals) {
  std::mt19937_64 rng(7);
  const std::vector<Heartbeat> beats = Day(rng);
  std::vector<HeartbeatSample> samples;
  for (const Heartbeat& h : beats) {
    ASSERT_TRUE(store_->RecordHeartbeat("a1", h, kT0).ok());
    samples.push_back(Sample(h));
  }
  auto stored = store_->ListCoverage("a1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(stored.ok()) << stored.status();
  ExpectSameIntervals(IntervalsOfSegments(Segments(*stored, "a1")), CoverageIntervals(samples));
}

TEST_F(SqliteCoverageTest, LateHeartbeatsAreFoldedInTheirPlace) {
  // The same day sent with stretches out of order (an agent clock stepping
  // back): the segments still make up the intervals of the sorted heartbeats.
  std::mt19937_64 rng(11);
  std::vector<Heartbeat> beats = Day(rng);
  std::vector<HeartbeatSample> samples;
  for (const Heartbeat& h : beats) samples.push_back(Sample(h));
  for (size_t i = 0; i + 40 < beats.size(); i += 97) {
    std::shuffle(beats.begin() + i, beats.begin() + i + 40, rng);
  }
  for (const Heartbeat& h : beats) ASSERT_TRUE(store_->RecordHeartbeat("a1", h, kT0).ok());
  auto stored = store_->ListCoverage("", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(stored.ok()) << stored.status();
  ExpectSameIntervals(IntervalsOfSegments(Segments(*stored, "a1")), CoverageIntervals(samples));
}

TEST_F(SqliteCoverageTest, AHeartbeatMoreThanADayLateIsKeptButNotCounted) {
  ASSERT_TRUE(store_->RecordHeartbeat("a1", Beat(kT0, 0, 0), kT0).ok());
  ASSERT_TRUE(store_->RecordHeartbeat("a1", Beat(kT0 + absl::Seconds(30), 0, 0), kT0).ok());
  ASSERT_TRUE(store_->RecordHeartbeat("a1", Beat(kT0 - absl::Hours(25), 0, 0), kT0).ok());
  auto stored = store_->ListCoverage("a1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].segment.start, kT0);
  auto latest = store_->LatestHeartbeat("a1", kT0 - absl::Hours(1));
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->heartbeat.time().seconds(), absl::ToUnixSeconds(kT0 - absl::Hours(25)));
}

TEST_F(SqliteCoverageTest, AWindowReadsOnlyTheSegmentsMeetingIt) {
  // Two agents, heartbeats every 30 s from 08:00 to 12:00: segments per hour.
  for (int i = 0; i <= 480; ++i) {
    const absl::Time t = kT0 + absl::Seconds(30 * i);
    ASSERT_TRUE(store_->RecordHeartbeat("b2", Beat(t, 10 * i, 0), kT0).ok());
    ASSERT_TRUE(store_->RecordHeartbeat("a1", Beat(t, 20 * i, 0), kT0).ok());
  }
  // 09:30–10:15 meets the segments ending 09:59:30, 10:59:30 (hours 09, 10).
  auto stored = store_->ListCoverage("", kT0 + absl::Minutes(90), kT0 + absl::Minutes(135));
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 4u);
  EXPECT_EQ((*stored)[0].agent_id, "a1");
  EXPECT_EQ((*stored)[2].agent_id, "b2");
  EXPECT_EQ((*stored)[0].segment.start, kT0 + absl::Seconds(3570));  // 08:59:30
  EXPECT_EQ((*stored)[0].segment.end, kT0 + absl::Seconds(7170));    // 09:59:30
  EXPECT_EQ((*stored)[0].segment.heartbeats, 120u);
  EXPECT_EQ((*stored)[0].segment.loss.received, 20u * 120);
  EXPECT_EQ((*stored)[1].segment.end, kT0 + absl::Seconds(10770));  // 10:59:30
  auto one = store_->ListCoverage("b2", kT0 + absl::Hours(4), kT0 + absl::Hours(5));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);  // the 12:00 heartbeat's segment [11:59:30, 12:00]
  EXPECT_EQ((*one)[0].segment.end, kT0 + absl::Hours(4));
}

TEST_F(SqliteCoverageTest, AppendedSegmentsAreContinuedByLaterHeartbeats) {
  // Heartbeats 08:00:00 .. 08:10:00 folded elsewhere, then stored; the next
  // heartbeats arrive through RecordHeartbeat.
  std::vector<HeartbeatSample> samples;
  for (int i = 0; i <= 20; ++i) samples.push_back(Sample(Beat(kT0 + absl::Seconds(30 * i), 10 * i, 0)));
  const std::vector<CoverageSegment> folded = FoldHeartbeats(samples);
  ASSERT_TRUE(store_->AppendCoverage("a1", folded).ok());
  for (int i = 21; i <= 30; ++i) {
    const Heartbeat h = Beat(kT0 + absl::Seconds(30 * i), 10 * i, i == 30 ? 4 : 0);
    samples.push_back(Sample(h));
    ASSERT_TRUE(store_->RecordHeartbeat("a1", h, kT0).ok());
  }
  auto stored = store_->ListCoverage("a1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(stored.ok());
  ExpectSameIntervals(IntervalsOfSegments(Segments(*stored, "a1")), CoverageIntervals(samples));
  // 08:00 .. 08:15, 300 packets counted, 4 dropped.
  const auto intervals = IntervalsOfSegments(Segments(*stored, "a1"));
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].end - intervals[0].start, absl::Minutes(15));
  EXPECT_EQ(intervals[0].loss.received, 300u);
  EXPECT_EQ(intervals[0].loss.dropped, 4u);
  // Segments that would go back in time are refused, and nothing is stored.
  EXPECT_EQ(store_->AppendCoverage("a1", folded).code(), absl::StatusCode::kInvalidArgument);
  auto again = store_->ListCoverage("a1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), stored->size());
}

TEST(SqliteCoverageMigrationTest, HeartbeatsStoredBeforeTheTableExistedAreFolded) {
  std::string tmpl = ::testing::TempDir() + "/cs_cov_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string path = tmpl + "/c.db";
  std::mt19937_64 rng(3);
  const std::vector<Heartbeat> beats = Day(rng);
  std::vector<HeartbeatSample> samples;
  {
    SqliteOptions v7;
    v7.stop_at_version_for_test = 7;
    auto old = OpenSqliteEventStore(path, v7);
    ASSERT_TRUE(old.ok()) << old.status();
  }
  {
    // What a version-7 collector wrote: heartbeat rows only.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO heartbeats (agent_id, time_us, received_us, "
                                 "pcap_received, pcap_dropped, pcap_interface_dropped, packets, "
                                 "events, payload) VALUES ('a1', ?, 0, 0, 0, 0, 0, 0, ?)",
                                 -1, &insert, nullptr),
              SQLITE_OK);
    for (const Heartbeat& h : beats) {
      samples.push_back(Sample(h));
      const std::string payload = h.SerializeAsString();
      sqlite3_bind_int64(insert, 1, h.time().seconds() * 1000000);
      sqlite3_bind_blob(insert, 2, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  auto store = OpenSqliteEventStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto stored = (*store)->ListCoverage("a1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(stored.ok());
  ExpectSameIntervals(IntervalsOfSegments(Segments(*stored, "a1")), CoverageIntervals(samples));
  store->reset();
  std::system(absl::StrCat("rm -rf '", tmpl, "'").c_str());
}

}  // namespace
}  // namespace cleansweep::collector
