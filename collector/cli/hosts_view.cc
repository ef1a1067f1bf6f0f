#include "collector/cli/hosts_view.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/cli/format.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? JsonQuote(FormatTimeUtc(*t)) : "null";
}

std::string ShortTime(const std::optional<absl::Time>& t) {
  return t ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *t, absl::UTCTimeZone()) : "-";
}

HostRow AgentRow(const AgentActivity& activity, absl::Time now) {
  HostRow row;
  row.hostname = activity.agent.identity.hostname;
  row.agent_id = activity.agent.identity.agent_id;
  row.last_seen = activity.agent.last_seen;
  row.gaps = activity.gaps;
  const absl::Time from = now - kHostsWindow;

  std::vector<HeartbeatSample> all, in_window;
  const HeartbeatSample* newest = nullptr;
  for (const StoredHeartbeat& h : activity.heartbeats) {
    HeartbeatSample s = ToSample(h.heartbeat);
    if (s.time > now) continue;
    if (s.time >= from) in_window.push_back(s);
    all.push_back(std::move(s));
  }
  for (const HeartbeatSample& s : all) {
    if (newest == nullptr || s.time >= newest->time) newest = &s;
  }

  const std::vector<CoverageInterval> intervals = CoverageIntervals(all);
  row.coverage = Coverage(intervals, from, now);
  for (const CoverageInterval& i : intervals) {
    if (i.end >= from && i.interface_down) row.interface_down = true;
  }
  // Loss only between heartbeats that are both inside the window.
  row.loss = TotalLoss(CoverageIntervals(in_window));

  if (newest != nullptr) {
    row.last_heartbeat = newest->time;
  } else if (activity.agent.last_heartbeat && activity.agent.last_heartbeat->time <= now) {
    row.last_heartbeat = activity.agent.last_heartbeat->time;  // older than the window
  }
  if (newest != nullptr && now - newest->time <= AllowedPause(newest->interval)) {
    row.status = HostStatus::kReporting;
  } else {
    row.status = HostStatus::kSilent;
    row.silent_since = row.last_heartbeat ? *row.last_heartbeat : activity.agent.last_seen;
  }
  return row;
}

}  // namespace

HeartbeatSample ToSample(const cleansweep::v1::Heartbeat& heartbeat) {
  HeartbeatSample s;
  s.time = ToTime(heartbeat.time());
  s.interval = absl::Seconds(heartbeat.interval_seconds());
  for (const auto& i : heartbeat.interfaces()) {
    s.interfaces.push_back({i.name(), i.received(), i.dropped(), i.interface_dropped(), i.up()});
  }
  return s;
}

std::vector<HostRow> BuildHostRows(const std::vector<InventoryHost>& inventory,
                                   const std::vector<AgentActivity>& agents, absl::Time now) {
  std::map<std::string, const InventoryHost*> expected;  // lower-case hostname
  for (const InventoryHost& h : inventory) expected[absl::AsciiStrToLower(h.hostname)] = &h;

  std::vector<HostRow> rows;
  std::map<std::string, bool> reported;
  for (const AgentActivity& a : agents) {
    HostRow row = AgentRow(a, now);
    const std::string key = absl::AsciiStrToLower(row.hostname);
    auto it = expected.find(key);
    if (it != expected.end()) {
      row.in_inventory = true;
      row.hostname = it->second->hostname;
      row.mac = it->second->mac;
      row.owner = it->second->owner;
      reported[key] = true;
    }
    rows.push_back(std::move(row));
  }
  for (const auto& [key, host] : expected) {
    if (reported.count(key)) continue;
    HostRow row;
    row.hostname = host->hostname;
    row.in_inventory = true;
    row.mac = host->mac;
    row.owner = host->owner;
    row.coverage = Coverage({}, now - kHostsWindow, now);
    row.status = HostStatus::kNeverReported;
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const HostRow& a, const HostRow& b) {
    const std::string ka = absl::AsciiStrToLower(a.hostname);
    const std::string kb = absl::AsciiStrToLower(b.hostname);
    return ka != kb ? ka < kb : a.agent_id < b.agent_id;
  });
  return rows;
}

std::string HostStatusText(const HostRow& row) {
  switch (row.status) {
    case HostStatus::kReporting:
      return "reporting";
    case HostStatus::kSilent:
      return absl::StrCat("silent since ", FormatTimeUtc(row.silent_since));
    case HostStatus::kNeverReported:
      break;
  }
  return "never reported";
}

double CaptureLossPercent(const CaptureLoss& loss) {
  const double lost =
      static_cast<double>(loss.dropped) + static_cast<double>(loss.interface_dropped);
  if (lost == 0) return 0;
  if (loss.received == 0) return 100;
  return std::min(100.0, 100.0 * lost / static_cast<double>(loss.received));
}

std::string HostTable(const std::vector<HostRow>& rows) {
  size_t host_width = 8, agent_width = 5;
  for (const HostRow& r : rows) {
    host_width = std::max(host_width, r.hostname.size());
    agent_width = std::max(agent_width, r.agent_id.size());
  }
  const int hw = static_cast<int>(host_width), aw = static_cast<int>(agent_width);
  std::string out = absl::StrFormat("%-*s  %-*s  %-20s  %9s  %9s  %5s  %s\n", hw, "HOSTNAME", aw,
                                    "AGENT", "LAST SEEN", "COVERAGE", "LOSS", "GAPS", "STATUS");
  for (const HostRow& r : rows) {
    std::string status = HostStatusText(r);
    if (!r.in_inventory) status += " (not in inventory)";
    if (r.interface_down) status += " (interface down)";
    absl::StrAppendFormat(&out, "%-*s  %-*s  %-20s  %8.2f%%  %8.3f%%  %5d  %s\n", hw, r.hostname,
                          aw, r.agent_id.empty() ? "-" : r.agent_id, ShortTime(r.last_seen),
                          100 * r.coverage.fraction, CaptureLossPercent(r.loss), r.gaps.gaps,
                          status);
  }
  return out;
}

std::string HostJsonLine(const HostRow& r) {
  return absl::StrCat(
      "{\"hostname\":", JsonQuote(r.hostname), ",\"agentId\":", JsonQuote(r.agent_id),
      ",\"inInventory\":", r.in_inventory ? "true" : "false", ",\"mac\":", JsonQuote(r.mac),
      ",\"owner\":", JsonQuote(r.owner), ",\"lastSeen\":", TimeOrNull(r.last_seen),
      ",\"lastHeartbeat\":", TimeOrNull(r.last_heartbeat),
      ",\"windowSeconds\":", absl::ToInt64Seconds(r.coverage.window),
      ",\"coveredSeconds\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(r.coverage.covered)),
      ",\"coveragePercent\":", absl::StrFormat("%.3f", 100 * r.coverage.fraction),
      ",\"coverageGaps\":", r.coverage.gaps.size(),
      ",\"interfaceDown\":", r.interface_down ? "true" : "false",
      ",\"captureReceived\":", r.loss.received, ",\"captureDropped\":", r.loss.dropped,
      ",\"captureInterfaceDropped\":", r.loss.interface_dropped,
      ",\"captureLossPercent\":", absl::StrFormat("%.3f", CaptureLossPercent(r.loss)),
      ",\"gaps\":", r.gaps.gaps, ",\"lostEvents\":", r.gaps.missing,
      ",\"status\":", JsonQuote(HostStatusText(r)), "}");
}

}  // namespace cleansweep::collector
