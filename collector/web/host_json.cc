#include "collector/web/host_json.h"

#include <algorithm>
#include <vector>

#include "collector/web/sweeps_api.h"

namespace cleansweep::collector::web {
namespace {

void WriteSpan(absl::Time from, absl::Time to, JsonWriter* out) {
  out->BeginObject().Key("from").Time(from).Key("to").Time(to).EndObject();
}

// The uncovered stretches of [from, to]: the whole window when nothing is
// covered (a summary that was never computed lists no gap).
std::vector<CoverageGap> Uncovered(const CoverageSummary& c, absl::Time from, absl::Time to) {
  if (c.covered <= absl::ZeroDuration()) return {{from, to}};
  return c.gaps;
}

void WriteCoverage(const CoverageSummary& c, absl::Time from, absl::Time to, JsonWriter* out) {
  const std::vector<CoverageGap> gaps = Uncovered(c, from, to);
  out->BeginObject()
      .Key("percent").Double(100.0 * c.fraction)
      .Key("coveredSeconds").Int(absl::ToInt64Seconds(c.covered))
      .Key("uncovered").BeginArray();
  const size_t shown = std::min(gaps.size(), kMaxListedGaps);
  for (size_t i = 0; i < shown; ++i) WriteSpan(gaps[i].start, gaps[i].end, out);
  out->EndArray().Key("uncoveredTruncated").Bool(shown < gaps.size()).EndObject();
}

}  // namespace

const char* StatusName(HostStatus status) {
  switch (status) {
    case HostStatus::kReporting: return "reporting";
    case HostStatus::kSilent: return "silent";
    case HostStatus::kNeverReported: return "never reported";
  }
  return "unknown";
}

void WriteHost(const HostView& host, absl::Time now, JsonWriter* out) {
  const HostRow& r = host.day;
  out->BeginObject()
      .Key("key").String(host.key)
      .Key("hostname").String(r.hostname)
      .Key("agentId").String(r.agent_id)
      .Key("agentHostname").String(r.agent_hostname)
      .Key("inInventory").Bool(r.in_inventory)
      .Key("owner").String(r.owner)
      .Key("mac").String(r.mac)
      .Key("matchedBy").String(r.matched_by)
      .Key("os").String(r.os)
      .Key("kernel").String(r.kernel)
      .Key("addresses").BeginArray();
  for (const std::string& a : r.addresses) out->String(a);
  out->EndArray()
      .Key("lastSeen").Time(r.last_seen)
      .Key("lastHeartbeat").Time(r.last_heartbeat)
      .Key("status").String(StatusName(r.status))
      .Key("silentSince");
  if (r.status == HostStatus::kSilent) {
    out->Time(r.silent_since);
  } else {
    out->Null();
  }
  out->Key("coverage24h");
  WriteCoverage(r.coverage, now - kDayWindow, now, out);
  out->Key("coverage7d");
  WriteCoverage(host.week, now - kWeekWindow, now, out);
  out->Key("captureLoss").BeginObject()
      .Key("received").Uint(r.loss.received)
      .Key("dropped").Uint(r.loss.dropped)
      .Key("interfaceDropped").Uint(r.loss.interface_dropped)
      .Key("percent").Double(CaptureLossPercent(r.loss))
      .EndObject()
      .Key("interfaceDown").Bool(r.interface_down)
      .Key("lostEvents").Uint(r.gaps.missing)
      .Key("lostEventGaps").Uint(r.gaps.gaps)
      .Key("spool");
  if (r.spool) {
    out->BeginObject()
        .Key("events").Uint(r.spool->events)
        .Key("bytes").Uint(r.spool->bytes)
        .Key("oldestAgeSeconds");
    if (r.spool->oldest_age) {
      out->Int(absl::ToInt64Seconds(*r.spool->oldest_age));
    } else {
      out->Null();
    }
    out->EndObject();
  } else {
    out->Null();
  }
  out->Key("verdict").String(host.verdict)
      .Key("findings").Uint(host.findings)
      .Key("lastSweep").Raw(HostLastSweepJson(host));
  out->EndObject();
}

void WriteTimeline(const CoverageSummary& coverage, absl::Time from, absl::Time to,
                   JsonWriter* out) {
  const std::vector<CoverageGap> gaps = Uncovered(coverage, from, to);
  out->BeginObject()
      .Key("from").Time(from)
      .Key("to").Time(to)
      .Key("percent").Double(100.0 * coverage.fraction)
      .Key("covered").BeginArray();
  // The complement of the uncovered stretches within [from, to].
  absl::Time cursor = from;
  for (const CoverageGap& g : gaps) {
    const absl::Time start = std::clamp(g.start, from, to);
    const absl::Time end = std::clamp(g.end, from, to);
    if (start > cursor) WriteSpan(cursor, start, out);
    cursor = std::max(cursor, end);
  }
  if (cursor < to) WriteSpan(cursor, to, out);
  out->EndArray().Key("uncovered").BeginArray();
  for (const CoverageGap& g : gaps) WriteSpan(g.start, g.end, out);
  out->EndArray().EndObject();
}

}  // namespace cleansweep::collector::web
