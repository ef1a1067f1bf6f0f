#include "collector/web/coverage_view.h"

#include <vector>

#include "collector/coverage/coverage_segments.h"
#include "common/status_macros.h"

namespace cleansweep::collector::web {

absl::StatusOr<CoverageByAgent> LoadCoverage(EventStore& store, absl::string_view agent_id,
                                             absl::Time from, absl::Time to) {
  ASSIGN_OR_RETURN(std::vector<StoredCoverageSegment> stored,
                   store.ListCoverage(agent_id, from, to));
  std::map<std::string, std::vector<CoverageSegment>> by_agent;
  for (StoredCoverageSegment& s : stored) {
    if (s.segment.end < from || s.segment.start > to) continue;
    by_agent[s.agent_id].push_back(std::move(s.segment));
  }
  CoverageByAgent out;
  for (const auto& [agent, segments] : by_agent) {
    out.emplace(agent, Coverage(IntervalsOfSegments(segments), from, to));
  }
  return out;
}

CoverageSummary CoverageOf(const CoverageByAgent& coverage, const std::string& agent_id,
                           absl::Time from, absl::Time to) {
  auto it = coverage.find(agent_id);
  return it != coverage.end() ? it->second : Coverage({}, from, to);
}

}  // namespace cleansweep::collector::web
