// Internal to the SQLite event store: heartbeats folded into the `coverage`
// table (coverage_segments.h), one row per segment, as heartbeats are stored.
//
// Every function runs on the caller's connection inside the caller's
// transaction (the store's mutex held).
#ifndef CLEANSWEEP_COLLECTOR_STORE_SQLITE_COVERAGE_H_
#define CLEANSWEEP_COLLECTOR_STORE_SQLITE_COVERAGE_H_

#include <sqlite3.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "collector/coverage/coverage_segments.h"
#include "common/sqlite/sqlite_util.h"

namespace cleansweep::collector::sqlite_internal {

// How far back (agent clock, behind the agent's newest segment) a late
// heartbeat is still folded in, by re-folding the stored heartbeats after it.
// An older one is kept as a heartbeat but does not count as coverage.
inline constexpr absl::Duration kRefoldHorizon = absl::Hours(24);

// The heartbeat as coverage sees it, at `time_us` (the stored time column).
HeartbeatSample SampleOf(const cleansweep::v1::Heartbeat& heartbeat, int64_t time_us);

// Folds the agent's heartbeat just stored with time `sample.time` into its
// segments. In time order this updates or appends one row; a heartbeat older
// than the agent's newest segment end re-folds the agent's stored heartbeats
// from the last segment that ended before it (within kRefoldHorizon).
// Returns whether it was folded.
absl::StatusOr<bool> FoldHeartbeatRow(sqlite3* db, absl::string_view agent_id,
                                      const HeartbeatSample& sample);

// Stores `segments` after the agent's newest one (AppendCoverage's contract).
absl::Status AppendSegments(sqlite3* db, absl::string_view agent_id,
                            absl::Span<const CoverageSegment> segments);

// Builds the segments of every agent from all its stored heartbeats (the
// schema migration that introduced the table). The table must be empty.
absl::Status FoldAllStoredHeartbeats(sqlite3* db);

// A segment from a row of "SELECT <kSegmentColumns> FROM coverage", columns
// from `first` on. The tail (last_interval, last_interfaces: only folding
// needs it) is decoded when `with_tail`.
CoverageSegment SegmentFromRow(const sqlite::Statement& q, int first, bool with_tail = true);

// The columns SegmentFromRow reads, in order; without the tail, all are in
// the covering index coverage_by_end.
inline constexpr const char* kSegmentColumnsWithoutTail =
    "start_us, end_us, run_start_us, heartbeats, pcap_received, pcap_dropped, "
    "pcap_interface_dropped, interface_down";
inline constexpr const char* kSegmentColumns =
    "start_us, end_us, run_start_us, heartbeats, pcap_received, pcap_dropped, "
    "pcap_interface_dropped, interface_down, tail";

}  // namespace cleansweep::collector::sqlite_internal

#endif  // CLEANSWEEP_COLLECTOR_STORE_SQLITE_COVERAGE_H_
