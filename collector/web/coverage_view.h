// Coverage of agents over a window read straight from their stored coverage
// segments (coverage_segments.h, EventStore::ListCoverage), computed as the
// hosts view computes it (coverage.h Coverage of the runs the segments make
// up). For the 7-day bars of every host (one query for the whole fleet,
// without the rest of the hosts view) and a single host's timelines.
#ifndef CLEANSWEEP_COLLECTOR_WEB_COVERAGE_VIEW_H_
#define CLEANSWEEP_COLLECTOR_WEB_COVERAGE_VIEW_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/coverage/coverage.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector::web {

// Agent id -> coverage of [from, to]. Agents without a segment meeting the
// window are absent (nothing covered).
using CoverageByAgent = std::map<std::string, CoverageSummary>;

// `agent_id` "" = every agent.
absl::StatusOr<CoverageByAgent> LoadCoverage(EventStore& store, absl::string_view agent_id,
                                             absl::Time from, absl::Time to);

// The coverage of `agent_id` in `coverage`, or the whole window uncovered.
CoverageSummary CoverageOf(const CoverageByAgent& coverage, const std::string& agent_id,
                           absl::Time from, absl::Time to);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_COVERAGE_VIEW_H_
