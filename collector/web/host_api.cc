// GET /api/v1/hosts/{key} (status_api.h).
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/cli/rejudge.h"
#include "collector/web/coverage_view.h"
#include "collector/web/egress_timeline.h"
#include "collector/web/finding_json.h"
#include "collector/web/host_json.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_api.h"
#include "collector/web/sweeps_api.h"
#include "common/status_macros.h"

namespace cleansweep::collector::web {
namespace {

int64_t FiredMicros(const cleansweep::v1::Finding& f) {
  return f.fired_time().seconds() * 1000000 + f.fired_time().nanos() / 1000;
}

// Newest firing first; the order the Host and Findings pages list them in.
void SortNewestFirst(std::vector<cleansweep::v1::Finding>* findings) {
  std::stable_sort(findings->begin(), findings->end(),
                   [](const cleansweep::v1::Finding& a, const cleansweep::v1::Finding& b) {
                     return FiredMicros(a) > FiredMicros(b);
                   });
}

absl::StatusOr<EgressTimeline> LoadEgress(EventStore& store, const HostRow& row, absl::Time now,
                                          const CompiledRules* rules) {
  if (row.agent_id.empty()) return SmtpEgressTimeline({}, rules, now);  // never reported
  EventFilter filter;
  filter.agent_id = row.agent_id;
  filter.since = EgressFrom(now);
  filter.limit = kMaxEgressEvents;
  ASSIGN_OR_RETURN(std::vector<StoredEvent> events, store.ListEvents(filter));
  EgressTimeline t = SmtpEgressTimeline(events, rules, now);
  t.truncated = events.size() >= kMaxEgressEvents;
  return t;
}

}  // namespace

absl::StatusOr<std::string> HostJson(EventStore& store, const StatusSnapshot& s,
                                     absl::string_view key, const CompiledRules* rules) {
  const HostView* host = s.FindHost(key);
  if (host == nullptr) return absl::NotFoundError(absl::StrCat("no host ", key));
  ASSIGN_OR_RETURN(EgressTimeline egress, LoadEgress(store, host->day, s.now, rules));
  // The week as of the snapshot's time, for this host alone (the fleet's
  // 7-day bars may be a few minutes older).
  CoverageSummary week = Coverage({}, s.now - kWeekWindow, s.now);
  if (!host->day.agent_id.empty()) {
    ASSIGN_OR_RETURN(CoverageByAgent mine, LoadCoverage(store, host->day.agent_id,
                                                        s.now - kWeekWindow, s.now));
    week = CoverageOf(mine, host->day.agent_id, s.now - kWeekWindow, s.now);
  }
  ASSIGN_OR_RETURN(std::vector<cleansweep::v1::Finding> stored,
                   store.ListFindings(s.now - kWeekWindow, s.now));
  std::vector<cleansweep::v1::Finding> mine;
  for (cleansweep::v1::Finding& f : stored) {
    if (s.HostOfFinding(f) == host) mine.push_back(std::move(f));
  }
  SortNewestFirst(&mine);
  ASSIGN_OR_RETURN(std::string sweeps, HostSweepsJson(store, s, *host));

  JsonWriter w;
  w.BeginObject().Key("now").Time(s.now).Key("host");
  WriteHost(*host, s.now, &w);
  w.Key("timeline").BeginObject().Key("24h");
  WriteTimeline(host->day.coverage, s.now - kDayWindow, s.now, &w);
  w.Key("7d");
  WriteTimeline(week, s.now - kWeekWindow, s.now, &w);
  w.EndObject().Key("egress").Raw(EgressTimelineJson(egress)).Key("findings").BeginArray();
  for (size_t i = 0; i < mine.size() && i < kMaxHostFindings; ++i) {
    DescribeEvidence(store, &mine[i]);
    WriteFinding(mine[i], s, &w);
  }
  w.EndArray()
      .Key("findingsTotal").Uint(mine.size())
      .Key("sweeps").Raw(sweeps)
      .EndObject();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
