#include "collector/web/status_snapshot.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "collector/cli/hosts_commands.h"
#include "collector/detect/evaluate.h"
#include "common/status_macros.h"

namespace cleansweep::collector::web {

std::string VerdictOf(cleansweep::v1::Severity worst, const HostRow& day) {
  if (worst != cleansweep::v1::SEVERITY_UNSPECIFIED) return std::string(SeverityName(worst));
  return day.coverage.covered > absl::ZeroDuration() ? "clean" : "unknown";
}

void StatusSnapshot::IndexHosts() {
  by_agent.clear();
  by_address.clear();
  for (size_t i = 0; i < hosts.size(); ++i) {
    const HostRow& row = hosts[i].day;
    if (!row.agent_id.empty()) by_agent.emplace(row.agent_id, i);
    for (const std::string& a : row.addresses) by_address.emplace(a, i);
  }
}

const HostView* StatusSnapshot::HostOfFinding(const cleansweep::v1::Finding& finding) const {
  auto a = by_agent.find(finding.agent_id());
  if (a != by_agent.end()) return &hosts[a->second];
  auto h = by_address.find(finding.host());
  return h != by_address.end() ? &hosts[h->second] : nullptr;
}

const HostView* StatusSnapshot::FindHost(absl::string_view key) const {
  for (const HostView& h : hosts) {
    if (h.key == key) return &h;
  }
  for (const HostView& h : hosts) {
    if (absl::EqualsIgnoreCase(h.day.hostname, key)) return &h;
  }
  return nullptr;
}

absl::StatusOr<WeekCoverage> LoadWeekCoverage(EventStore& store, absl::Time at) {
  WeekCoverage week;
  week.at = at;
  ASSIGN_OR_RETURN(week.agents, LoadCoverage(store, "", at - kWeekWindow, at));
  return week;
}

absl::StatusOr<StatusSnapshot> LoadStatusSnapshot(EventStore& store, absl::Time now) {
  ASSIGN_OR_RETURN(WeekCoverage week, LoadWeekCoverage(store, now));
  return LoadStatusSnapshot(store, now, week);
}

absl::StatusOr<StatusSnapshot> LoadStatusSnapshot(EventStore& store, absl::Time now,
                                                  const WeekCoverage& week) {
  StatusSnapshot snap;
  snap.now = now;
  ASSIGN_OR_RETURN(std::vector<HostRow> day, LoadHostRows(store, now, kDayWindow));
  snap.hosts.reserve(day.size());
  for (HostRow& r : day) {
    HostView& v = snap.hosts.emplace_back();
    v.key = r.agent_id.empty() ? r.hostname : r.agent_id;
    v.week = CoverageOf(week.agents, r.agent_id, week.at - kWeekWindow, week.at);
    v.day = std::move(r);
  }
  snap.IndexHosts();

  ASSIGN_OR_RETURN(snap.findings, store.ListFindings(now - kDayWindow, now));
  for (const cleansweep::v1::Finding& f : snap.findings) {
    const HostView* owner = snap.HostOfFinding(f);
    if (owner == nullptr) continue;
    HostView& v = snap.hosts[static_cast<size_t>(owner - snap.hosts.data())];
    ++v.findings;
    v.worst = std::max(v.worst, f.severity());
  }
  for (HostView& v : snap.hosts) v.verdict = VerdictOf(v.worst, v.day);

  SweepQuery recent;
  recent.limit = kSnapshotSweeps;
  recent.with_results = false;
  ASSIGN_OR_RETURN(std::vector<cleansweep::v1::SweepStatus> sweeps, store.ListSweeps(recent, now));
  for (cleansweep::v1::SweepStatus& sweep : sweeps) {  // newest first
    for (cleansweep::v1::SweepAgentStatus& a : *sweep.mutable_agents()) {
      auto at = snap.by_agent.find(a.agent_id());
      if (at == snap.by_agent.end() || snap.hosts[at->second].last_sweep) continue;
      HostSweep& h = snap.hosts[at->second].last_sweep.emplace();
      h.sweep_id = sweep.request().sweep_id();
      h.issued = absl::FromUnixSeconds(sweep.request().issued_time().seconds());
      h.answer = std::move(a);
    }
  }
  if (!sweeps.empty()) {
    sweeps[0].clear_agents();
    snap.last_sweep = std::move(sweeps[0]);
  }

  ASSIGN_OR_RETURN(std::vector<AgentSummary> agents, store.ListAgents());
  for (const AgentSummary& a : agents) snap.events_stored += a.event_count;
  return snap;
}

}  // namespace cleansweep::collector::web
