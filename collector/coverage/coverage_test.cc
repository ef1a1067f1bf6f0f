// Expected values below are computed by hand from the heartbeat times and
// counters written in each test.
#include "collector/coverage/coverage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

HeartbeatSample Beat(double seconds, std::vector<InterfaceSample> interfaces = {},
                     absl::Duration interval = absl::Seconds(30)) {
  return HeartbeatSample{At(seconds), interval, std::move(interfaces)};
}

InterfaceSample Eth0(uint64_t received, uint64_t dropped = 0, uint64_t if_dropped = 0,
                     bool up = true) {
  return InterfaceSample{"eth0", received, dropped, if_dropped, up};
}

TEST(CoverageIntervalsTest, NoHeartbeatsNoIntervals) { EXPECT_TRUE(CoverageIntervals({}).empty()); }

TEST(CoverageIntervalsTest, LoneHeartbeatIsAnEmptyInterval) {
  std::vector<HeartbeatSample> beats = {Beat(0)};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].start, At(0));
  EXPECT_EQ(intervals[0].end, At(0));
  EXPECT_EQ(intervals[0].heartbeats, 1u);
}

TEST(CoverageIntervalsTest, PauseOfExactlyTwoAndAHalfPeriodsContinues) {
  // 30 s period: 2.5 periods = 75 s; 30 → 105 is exactly 75 s.
  std::vector<HeartbeatSample> beats = {Beat(0), Beat(30), Beat(105)};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].start, At(0));
  EXPECT_EQ(intervals[0].end, At(105));
  EXPECT_EQ(intervals[0].heartbeats, 3u);
}

TEST(CoverageIntervalsTest, PauseJustOverTwoAndAHalfPeriodsBreaks) {
  std::vector<HeartbeatSample> beats = {Beat(0), Beat(30), Beat(105.000001), Beat(135)};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 2u);
  EXPECT_EQ(intervals[0].start, At(0));
  EXPECT_EQ(intervals[0].end, At(30));
  EXPECT_EQ(intervals[0].heartbeats, 2u);
  EXPECT_EQ(intervals[1].start, At(105.000001));
  EXPECT_EQ(intervals[1].end, At(135));
  EXPECT_EQ(intervals[1].heartbeats, 2u);
}

TEST(CoverageIntervalsTest, ThePreviousHeartbeatsIntervalDecides) {
  // A 10 s heartbeat allows 25 s; 26 s later is a gap. A heartbeat without an
  // interval uses the 30 s default (75 s allowed).
  std::vector<HeartbeatSample> beats = {Beat(0, {}, absl::Seconds(10)),
                                        Beat(26, {}, absl::ZeroDuration()), Beat(101)};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 2u);
  EXPECT_EQ(intervals[0].end, At(0));
  EXPECT_EQ(intervals[1].start, At(26));
  EXPECT_EQ(intervals[1].end, At(101));
}

TEST(CoverageIntervalsTest, UnsortedInputIsOrderedByTime) {
  std::vector<HeartbeatSample> beats = {Beat(60), Beat(0), Beat(30)};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].start, At(0));
  EXPECT_EQ(intervals[0].end, At(60));
}

TEST(CoverageIntervalsTest, LossIsTheSumOfDeltasBetweenConsecutiveHeartbeats) {
  std::vector<HeartbeatSample> beats = {Beat(0, {Eth0(100, 1, 0)}), Beat(30, {Eth0(250, 4, 2)}),
                                        Beat(60, {Eth0(400, 4, 2)})};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  // received 250-100 + 400-250 = 300; dropped 3 + 0; interface-dropped 2 + 0.
  EXPECT_EQ(intervals[0].loss.received, 300u);
  EXPECT_EQ(intervals[0].loss.dropped, 3u);
  EXPECT_EQ(intervals[0].loss.interface_dropped, 2u);
  EXPECT_FALSE(intervals[0].interface_down);
}

TEST(CoverageIntervalsTest, CounterGoingBackwardsIsARestartNotANegativeDelta) {
  std::vector<HeartbeatSample> beats = {
      Beat(0, {Eth0(1000, 10, 5)}), Beat(30, {Eth0(1200, 12, 5)}),
      Beat(60, {Eth0(50, 1, 0)}),  // agent restarted: counts since the restart
      Beat(90, {Eth0(80, 1, 0)})};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  // received 200 + 50 + 30; dropped 2 + 1 + 0; interface-dropped 0 + 0 + 0.
  EXPECT_EQ(intervals[0].loss.received, 280u);
  EXPECT_EQ(intervals[0].loss.dropped, 3u);
  EXPECT_EQ(intervals[0].loss.interface_dropped, 0u);
}

TEST(CoverageIntervalsTest, OneCounterGoingBackwardsRestartsAllThree) {
  // received grew (900 → 950) but dropped fell (7 → 2): a new run, so its
  // counters 950 / 2 are the deltas, not 50.
  std::vector<HeartbeatSample> beats = {Beat(0, {Eth0(900, 7)}), Beat(30, {Eth0(950, 2)})};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].loss.received, 950u);
  EXPECT_EQ(intervals[0].loss.dropped, 2u);
}

TEST(CoverageIntervalsTest, InterfacesAreCountedSeparatelyAndANewOneFromZero) {
  std::vector<HeartbeatSample> beats = {
      Beat(0, {Eth0(10)}), Beat(30, {Eth0(20), InterfaceSample{"wlan0", 5, 1, 0, true}})};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0].loss.received, 15u);  // eth0 10 + wlan0 5
  EXPECT_EQ(intervals[0].loss.dropped, 1u);
}

TEST(CoverageIntervalsTest, NothingIsCountedAcrossAGap) {
  std::vector<HeartbeatSample> beats = {Beat(0, {Eth0(100)}), Beat(1000, {Eth0(500)}),
                                        Beat(1030, {Eth0(600)})};
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 2u);
  EXPECT_EQ(intervals[0].loss.received, 0u);
  EXPECT_EQ(intervals[1].loss.received, 100u);  // 600 - 500 only
}

TEST(CoverageIntervalsTest, DownInterfaceMarksOnlyItsInterval) {
  std::vector<HeartbeatSample> beats = {
      Beat(0, {Eth0(1)}), Beat(30, {Eth0(2, 0, 0, /*up=*/false)}),  // first interval
      Beat(500, {Eth0(3)}), Beat(530, {Eth0(4)})};                  // second interval
  auto intervals = CoverageIntervals(beats);
  ASSERT_EQ(intervals.size(), 2u);
  EXPECT_TRUE(intervals[0].interface_down);
  EXPECT_FALSE(intervals[1].interface_down);
}

CoverageInterval Covered(double start, double end) {
  CoverageInterval i;
  i.start = At(start);
  i.end = At(end);
  return i;
}

TEST(CoverageTest, ClipsIntervalsToTheWindow) {
  std::vector<CoverageInterval> intervals = {Covered(10, 40), Covered(100, 160)};
  // Window [20, 120]: covered [20,40] + [100,120] = 40 s of 100 s.
  CoverageSummary s = Coverage(intervals, At(20), At(120));
  EXPECT_EQ(s.window, absl::Seconds(100));
  EXPECT_EQ(s.covered, absl::Seconds(40));
  EXPECT_DOUBLE_EQ(s.fraction, 0.4);
  ASSERT_EQ(s.gaps.size(), 1u);
  EXPECT_EQ(s.gaps[0].start, At(40));
  EXPECT_EQ(s.gaps[0].end, At(100));
}

TEST(CoverageTest, GapsAtBothEndsOfTheWindow) {
  std::vector<CoverageInterval> intervals = {Covered(100, 160), Covered(10, 40)};
  // Window [0, 200]: covered 30 + 60 = 90 s.
  CoverageSummary s = Coverage(intervals, At(0), At(200));
  EXPECT_EQ(s.covered, absl::Seconds(90));
  EXPECT_DOUBLE_EQ(s.fraction, 0.45);
  ASSERT_EQ(s.gaps.size(), 3u);
  EXPECT_EQ(s.gaps[0].start, At(0));
  EXPECT_EQ(s.gaps[0].end, At(10));
  EXPECT_EQ(s.gaps[1].start, At(40));
  EXPECT_EQ(s.gaps[1].end, At(100));
  EXPECT_EQ(s.gaps[2].start, At(160));
  EXPECT_EQ(s.gaps[2].end, At(200));
}

TEST(CoverageTest, OverlapsCountOnceAndOutsideIntervalsNotAtAll) {
  std::vector<CoverageInterval> intervals = {Covered(0, 50), Covered(30, 80), Covered(500, 600)};
  CoverageSummary s = Coverage(intervals, At(0), At(100));
  EXPECT_EQ(s.covered, absl::Seconds(80));
  ASSERT_EQ(s.gaps.size(), 1u);
  EXPECT_EQ(s.gaps[0].start, At(80));
  EXPECT_EQ(s.gaps[0].end, At(100));
}

TEST(CoverageTest, NoIntervalsIsOneGap) {
  CoverageSummary s = Coverage({}, At(0), At(60));
  EXPECT_EQ(s.covered, absl::ZeroDuration());
  EXPECT_EQ(s.fraction, 0);
  ASSERT_EQ(s.gaps.size(), 1u);
  EXPECT_EQ(s.gaps[0].start, At(0));
  EXPECT_EQ(s.gaps[0].end, At(60));
}

TEST(CoverageTest, EmptyWindowHasNothing) {
  std::vector<CoverageInterval> intervals = {Covered(0, 50)};
  CoverageSummary s = Coverage(intervals, At(60), At(60));
  EXPECT_EQ(s.window, absl::ZeroDuration());
  EXPECT_EQ(s.fraction, 0);
  EXPECT_TRUE(s.gaps.empty());
}

TEST(CoverageTest, FromHeartbeatsToCoverage) {
  // Heartbeats every 30 s from 0 to 120, then silence, then 600..660.
  std::vector<HeartbeatSample> beats = {Beat(0),   Beat(30),  Beat(60),  Beat(90),
                                        Beat(120), Beat(600), Beat(630), Beat(660)};
  auto intervals = CoverageIntervals(beats);
  // Window [60, 660]: covered [60,120] + [600,660] = 120 s of 600 s.
  CoverageSummary s = Coverage(intervals, At(60), At(660));
  EXPECT_EQ(s.covered, absl::Seconds(120));
  EXPECT_DOUBLE_EQ(s.fraction, 0.2);
  ASSERT_EQ(s.gaps.size(), 1u);
  EXPECT_EQ(s.gaps[0].start, At(120));
  EXPECT_EQ(s.gaps[0].end, At(600));
}

}  // namespace
}  // namespace cleansweep::collector
