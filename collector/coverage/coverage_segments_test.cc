// Folded segments against CoverageIntervals (the definition, computed from all
// heartbeats at once) on random heartbeat sequences, and hand-checked splits
// at clock hours.
#include "collector/coverage/coverage_segments.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

// 2027-01-15T08:00:00Z, on a clock hour.
const absl::Time kHour = absl::FromUnixSeconds(1'799'992'800);

absl::Time At(double seconds) { return kHour + absl::Seconds(seconds); }

HeartbeatSample Beat(double seconds, uint64_t received, uint64_t dropped = 0) {
  return HeartbeatSample{At(seconds), absl::Seconds(30), {{"eth0", received, dropped, 0, true}}};
}

TEST(CoverageSegmentsTest, ARunIsSplitAtClockHoursAndTheSegmentsTouch) {
  // 08:59:00, 08:59:30, 09:00:00, 09:00:30: the run crosses 09:00.
  std::vector<HeartbeatSample> beats = {Beat(3540, 100, 1), Beat(3570, 200, 2),
                                        Beat(3600, 300, 4), Beat(3630, 400, 8)};
  const std::vector<CoverageSegment> segments = FoldHeartbeats(beats);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[0].start, At(3540));
  EXPECT_EQ(segments[0].end, At(3570));
  EXPECT_EQ(segments[0].heartbeats, 2u);
  EXPECT_EQ(segments[0].loss.received, 100u);  // 200 - 100
  EXPECT_EQ(segments[0].loss.dropped, 1u);     // 2 - 1
  EXPECT_EQ(segments[1].start, At(3570));      // where the first one ended
  EXPECT_EQ(segments[1].end, At(3630));
  EXPECT_EQ(segments[1].run_start, At(3540));
  EXPECT_EQ(segments[1].heartbeats, 2u);
  EXPECT_EQ(segments[1].loss.received, 200u);  // 400 - 200
  EXPECT_EQ(segments[1].loss.dropped, 6u);     // 8 - 2
}

TEST(CoverageSegmentsTest, APauseLongerThanAllowedStartsANewRun) {
  std::vector<HeartbeatSample> beats = {Beat(0, 10), Beat(30, 20), Beat(106, 30), Beat(136, 45)};
  const std::vector<CoverageSegment> segments = FoldHeartbeats(beats);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].start, At(106));
  EXPECT_EQ(segments[1].run_start, At(106));
  EXPECT_EQ(segments[1].loss.received, 15u);  // nothing counted across the gap
}

TEST(CoverageSegmentsTest, AHugeAnnouncedIntervalVouchesForAtMostTwoAndAHalfHours) {
  HeartbeatSample first = Beat(0, 0);
  first.interval = absl::Hours(100);
  std::vector<HeartbeatSample> beats = {first, Beat(9001, 0)};  // 2.5 h = 9000 s
  EXPECT_EQ(FoldHeartbeats(beats).size(), 2u);
  EXPECT_EQ(CoverageIntervals(beats).size(), 2u);
}

// Random heartbeat sequences: periods of 1..120 s, pauses, restarts, extra
// interfaces, interfaces going down, equal times, spanning several hours.
std::vector<HeartbeatSample> RandomBeats(std::mt19937_64& rng) {
  std::vector<HeartbeatSample> out;
  std::uniform_int_distribution<int> percent(0, 99);
  absl::Time t = kHour - absl::Seconds(std::uniform_int_distribution<int>(0, 7200)(rng));
  uint64_t eth0 = 0, eth1 = 0, dropped = 0;
  const int n = std::uniform_int_distribution<int>(0, 400)(rng);
  for (int i = 0; i < n; ++i) {
    absl::Duration interval = absl::Seconds(std::uniform_int_distribution<int>(0, 120)(rng));
    HeartbeatSample h;
    h.time = t;
    h.interval = interval;
    if (percent(rng) < 3) eth0 = eth1 = dropped = 0;  // the agent restarted
    eth0 += std::uniform_int_distribution<int>(0, 1000)(rng);
    dropped += std::uniform_int_distribution<int>(0, 3)(rng);
    h.interfaces.push_back({"eth0", eth0, dropped, 0, percent(rng) >= 2});
    if (percent(rng) < 50) {
      eth1 += std::uniform_int_distribution<int>(0, 50)(rng);
      h.interfaces.push_back({"eth1", eth1, 0, dropped / 2, true});
    }
    out.push_back(std::move(h));
    const absl::Duration period = interval == absl::ZeroDuration() ? absl::Seconds(30) : interval;
    const int r = percent(rng);
    if (r < 5) {
      t += period * 4;  // a gap
    } else if (r < 8) {
      // same time again
    } else {
      t += period * (std::uniform_int_distribution<int>(50, 250)(rng) / 100.0);
    }
  }
  std::shuffle(out.begin(), out.end(), rng);  // FoldHeartbeats sorts a copy
  return out;
}

TEST(CoverageSegmentsTest, SegmentsMakeUpExactlyTheCoverageIntervals) {
  std::mt19937_64 rng(20261206);
  for (int round = 0; round < 300; ++round) {
    const std::vector<HeartbeatSample> beats = RandomBeats(rng);
    const std::vector<CoverageInterval> want = CoverageIntervals(beats);
    const std::vector<CoverageSegment> segments = FoldHeartbeats(beats);
    const std::vector<CoverageInterval> got = IntervalsOfSegments(segments);
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(testing::Message() << "round " << round << " interval " << i);
      EXPECT_EQ(got[i].start, want[i].start);
      EXPECT_EQ(got[i].end, want[i].end);
      EXPECT_EQ(got[i].heartbeats, want[i].heartbeats);
      EXPECT_EQ(got[i].loss.received, want[i].loss.received);
      EXPECT_EQ(got[i].loss.dropped, want[i].loss.dropped);
      EXPECT_EQ(got[i].loss.interface_dropped, want[i].loss.interface_dropped);
      EXPECT_EQ(got[i].interface_down, want[i].interface_down);
    }
    // Every segment's heartbeats lie in one clock hour, and segments of a run
    // touch.
    for (size_t i = 0; i < segments.size(); ++i) {
      EXPECT_LE(segments[i].end - segments[i].start, kMaxSegmentLength);
      if (i > 0 && segments[i].run_start == segments[i - 1].run_start) {
        EXPECT_EQ(segments[i].start, segments[i - 1].end);
      }
    }
  }
}

}  // namespace
}  // namespace cleansweep::collector
