// Coverage: from an agent's heartbeats, when was it demonstrably capturing and
// how much did the capture lose while it was.
//
// Pure functions over values (no storage, no RPC); thread-safe.
//
// Model:
//  - A coverage interval is a run of heartbeats in which each one comes at
//    most kCoverageSlack (2.5) × the previous heartbeat's announced interval
//    after it (a pause of exactly 2.5 periods still continues the run). It
//    spans [first heartbeat time, last heartbeat time]: only time between two
//    heartbeats is proven, so a lone heartbeat covers nothing.
//  - Capture counters (pcap received / dropped / interface-dropped) are
//    cumulative per interface and per agent run. Loss inside an interval is the
//    sum of per-interface deltas between consecutive heartbeats of that
//    interval. A counter that goes backwards means the agent restarted: the
//    new value is the count since the restart, so it is the delta (never a
//    negative or wrapped one). An interface not present in the previous
//    heartbeat counts from zero. Nothing is counted across a coverage gap.
//    A restart after which every counter already exceeds its old value cannot
//    be seen in the counters (the heartbeat carries no run id); its delta is
//    then undercounted, never negative.
//  - Heartbeat times are the agent's clock (Heartbeat.time).
#ifndef CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_H_
#define CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace cleansweep::collector {

// A heartbeat is late (the run is broken) after this many announced intervals.
inline constexpr double kCoverageSlack = 2.5;
// Used when a heartbeat does not announce its interval (interval_seconds 0).
inline constexpr absl::Duration kDefaultHeartbeatInterval = absl::Seconds(30);
// The longest interval a heartbeat may announce (the agent allows 1..3600 s).
inline constexpr absl::Duration kMaxHeartbeatInterval = absl::Hours(1);

struct InterfaceSample {
  std::string name;
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t interface_dropped = 0;
  bool up = true;
};

struct HeartbeatSample {
  absl::Time time;
  absl::Duration interval = absl::ZeroDuration();  // zero = kDefaultHeartbeatInterval
  std::vector<InterfaceSample> interfaces;
};

struct CaptureLoss {
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t interface_dropped = 0;
};

struct CoverageInterval {
  absl::Time start;
  absl::Time end;
  size_t heartbeats = 0;
  CaptureLoss loss;
  bool interface_down = false;  // some heartbeat of the interval had an interface down
};

// Ordered, non-overlapping intervals. `heartbeats` need not be sorted (a sorted
// copy is used; equal times keep their input order).
std::vector<CoverageInterval> CoverageIntervals(absl::Span<const HeartbeatSample> heartbeats);

// The longest pause that still continues a run after a heartbeat announcing
// `interval` (zero = default). An announced interval above kMaxHeartbeatInterval
// counts as kMaxHeartbeatInterval: one heartbeat never vouches for more than
// 2.5 hours, which also bounds how long a stored coverage segment can be.
absl::Duration AllowedPause(absl::Duration interval);

// What the capture counted between two consecutive heartbeats of one run, from
// their per-interface cumulative counters (the rules above).
CaptureLoss LossBetween(absl::Span<const InterfaceSample> before,
                        absl::Span<const InterfaceSample> after);

struct CoverageGap {
  absl::Time start;
  absl::Time end;
};

struct CoverageSummary {
  absl::Duration window = absl::ZeroDuration();   // to - from (zero if to <= from)
  absl::Duration covered = absl::ZeroDuration();  // intervals clipped to the window
  double fraction = 0;                            // covered / window; 0 for an empty window
  std::vector<CoverageGap> gaps;                  // the uncovered parts of the window, in order
};

// Coverage of the window [from, to] by `intervals` (any order; overlaps are
// merged).
CoverageSummary Coverage(absl::Span<const CoverageInterval> intervals, absl::Time from,
                         absl::Time to);

// Loss summed over intervals.
CaptureLoss TotalLoss(absl::Span<const CoverageInterval> intervals);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_H_
