// Coverage segments: heartbeats folded as they arrive, so that coverage and
// capture loss over any window are read from a few rows per agent and hour
// instead of every heartbeat (a fleet sends 2,880 heartbeats per agent a day).
//
// A segment is a piece of one coverage run (coverage.h) whose heartbeats all
// fall in one clock hour (UTC, kSegmentSpan). The first segment of a run
// starts at the run's first heartbeat; each later one starts at the last
// heartbeat of the segment before it, so the segments of a run touch and
// their union is exactly the run's interval. A segment's capture loss is what
// its own heartbeats reported (the delta of each to the heartbeat before it),
// so loss is known per clock hour: a window that starts or ends inside an
// hour is charged that whole hour's loss by readers that sum whole segments
// (an overstatement, never an understatement).
//
// Folding heartbeats in time order with FoldHeartbeat gives segments whose
// runs (IntervalsOfSegments) are exactly CoverageIntervals of the same
// heartbeats: same starts, ends, heartbeat counts, loss and interface-down
// flags.
//
// Pure functions over values; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_SEGMENTS_H_
#define CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_SEGMENTS_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/coverage/coverage.h"

namespace cleansweep::collector {

inline constexpr absl::Duration kSegmentSpan = absl::Hours(1);

// The longest a segment can last: a pause of 2.5 × the longest interval before
// its first heartbeat, then up to one clock hour. Readers looking for the
// segments that meet [from, to] need only those ending in
// [from, to + kMaxSegmentLength].
inline constexpr absl::Duration kMaxSegmentLength = absl::Seconds(9000 + 3600);  // 2.5 h + 1 h

struct CoverageSegment {
  absl::Time start;      // the run's first heartbeat, or the previous segment's end
  absl::Time end;        // the segment's last heartbeat
  absl::Time run_start;  // the run's first heartbeat (same for every segment of a run)
  size_t heartbeats = 0;  // heartbeats in (start, end]; [start, end] for a run's first
  CaptureLoss loss;       // reported by those heartbeats
  bool interface_down = false;  // one of those heartbeats had an interface down
  // The segment's last heartbeat, needed to fold the next one.
  absl::Duration last_interval = absl::ZeroDuration();
  std::vector<InterfaceSample> last_interfaces;
};

// Folds heartbeat `h` after `last`, the agent's newest segment (null when
// there is none). Requires h.time >= last->end. Returns true when `h` starts a
// new segment, written to *appended; false when *last was extended.
bool FoldHeartbeat(CoverageSegment* last, const HeartbeatSample& h, CoverageSegment* appended);

// Folds `heartbeats` (any order; a stable time-ordered copy is used) from
// nothing.
std::vector<CoverageSegment> FoldHeartbeats(absl::Span<const HeartbeatSample> heartbeats);

// The coverage intervals the segments make up (segments of one run merged),
// ordered by start. `segments` in any order.
std::vector<CoverageInterval> IntervalsOfSegments(absl::Span<const CoverageSegment> segments);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_COVERAGE_COVERAGE_SEGMENTS_H_
