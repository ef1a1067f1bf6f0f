#include "collector/cli/hosts_view.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/cli/format.h"
#include "collector/store/host_facts.h"
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

// IPv4, then IPv6, then IPv6 link-local: the first one shown is the one an
// operator most likely looks for. Loopback addresses say nothing of a host.
std::vector<std::string> DisplayAddresses(const cleansweep::v1::HostFacts& facts) {
  std::vector<std::string> v4, v6, link_local;
  std::set<std::string> seen;
  for (const auto& iface : facts.interfaces()) {
    for (const std::string& a : iface.addresses()) {
      if (IsLoopbackAddress(a) || !seen.insert(a).second) continue;
      if (a.find(':') == std::string::npos) {
        v4.push_back(a);
      } else if (absl::StartsWith(a, "fe8") || absl::StartsWith(a, "fe9") ||
                 absl::StartsWith(a, "fea") || absl::StartsWith(a, "feb")) {
        link_local.push_back(a);  // fe80::/10, canonical (lower-case) form
      } else {
        v6.push_back(a);
      }
    }
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  v4.insert(v4.end(), link_local.begin(), link_local.end());
  return v4;
}

// "45s", "12m", "3h" (below 48 h), "4d"; rounded down.
std::string CompactAge(absl::Duration d) {
  const int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m");
  if (s < 48 * 3600) return absl::StrCat(s / 3600, "h");
  return absl::StrCat(s / 86400, "d");
}

template <typename T>
std::string NumberOrNull(const std::optional<T>& v) {
  return v ? absl::StrCat(*v) : "null";
}

HostRow AgentRow(const AgentActivity& activity, absl::Time now, absl::Duration window) {
  HostRow row;
  row.hostname = activity.agent.identity.hostname;
  row.agent_hostname = row.hostname;
  if (activity.facts) {
    row.os = activity.facts->facts.os();
    row.kernel = activity.facts->facts.kernel();
    row.addresses = DisplayAddresses(activity.facts->facts);
  }
  row.agent_id = activity.agent.identity.agent_id;
  row.last_seen = activity.agent.last_seen;
  row.gaps = activity.gaps;
  const absl::Time from = now - window;

  std::vector<CoverageSegment> meeting;
  for (const CoverageSegment& s : activity.coverage) {
    if (s.end < from || s.start > now) continue;
    meeting.push_back(s);
    row.interface_down = row.interface_down || s.interface_down;
    // Whole segments: loss is known per clock hour (coverage_segments.h).
    row.loss.received += s.loss.received;
    row.loss.dropped += s.loss.dropped;
    row.loss.interface_dropped += s.loss.interface_dropped;
  }
  row.coverage = Coverage(IntervalsOfSegments(meeting), from, now);

  const StoredHeartbeat* newest =
      activity.latest && ToTime(activity.latest->heartbeat.time()) <= now ? &*activity.latest
                                                                          : nullptr;
  if (newest != nullptr) {
    const cleansweep::v1::Heartbeat& hb = newest->heartbeat;
    SpoolBacklog spool;
    spool.events = hb.spool_events();
    spool.bytes = hb.spool_bytes();
    if (hb.spool_events() > 0 && hb.has_spool_oldest()) {
      spool.oldest = ToTime(hb.spool_oldest());
      spool.oldest_age = std::max(absl::ZeroDuration(), now - *spool.oldest);
    }
    row.spool = spool;
    row.last_heartbeat = ToTime(hb.time());
  } else if (activity.agent.last_heartbeat && activity.agent.last_heartbeat->time <= now) {
    row.last_heartbeat = activity.agent.last_heartbeat->time;
  }
  if (newest != nullptr &&
      now - *row.last_heartbeat <= AllowedPause(absl::Seconds(newest->heartbeat.interval_seconds()))) {
    row.status = HostStatus::kReporting;
  } else {
    row.status = HostStatus::kSilent;
    row.silent_since = row.last_heartbeat ? *row.last_heartbeat : activity.agent.last_seen;
  }
  return row;
}

}  // namespace

std::vector<HostRow> BuildHostRows(const std::vector<InventoryHost>& inventory,
                                   const std::vector<AgentActivity>& agents, absl::Time now,
                                   absl::Duration window) {
  std::map<std::string, const InventoryHost*> expected;  // lower-case hostname
  for (const InventoryHost& h : inventory) expected[absl::AsciiStrToLower(h.hostname)] = &h;
  // Lower-case MAC -> inventory host (the first one listing it).
  std::map<std::string, const InventoryHost*> by_mac;
  for (const InventoryHost& h : inventory) {
    if (!h.mac.empty()) by_mac.emplace(absl::AsciiStrToLower(h.mac), &h);
  }

  std::vector<HostRow> rows;
  std::map<std::string, bool> reported;
  for (const AgentActivity& a : agents) {
    HostRow row = AgentRow(a, now, window);
    auto it = expected.find(absl::AsciiStrToLower(row.hostname));
    if (it != expected.end()) {
      row.matched_by = "hostname";
    } else if (a.facts) {
      // A host renamed since the inventory was made is still the same NIC.
      for (const auto& iface : a.facts->facts.interfaces()) {
        auto m = by_mac.find(absl::AsciiStrToLower(iface.mac()));
        if (iface.mac().empty() || m == by_mac.end()) continue;
        it = expected.find(absl::AsciiStrToLower(m->second->hostname));
        row.matched_by = "mac";
        break;
      }
    }
    if (!row.matched_by.empty()) {
      const std::string key = it->first;
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
    row.coverage = Coverage({}, now - window, now);
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

std::string SpoolText(const HostRow& row) {
  if (!row.spool) return "-";
  if (row.spool->events == 0) return "0";
  if (!row.spool->oldest_age) return absl::StrCat(row.spool->events);
  return absl::StrCat(row.spool->events, " (", CompactAge(*row.spool->oldest_age), ")");
}

std::string AddressText(const HostRow& row) {
  if (row.addresses.empty()) return "-";
  if (row.addresses.size() == 1) return row.addresses[0];
  return absl::StrCat(row.addresses[0], " +", row.addresses.size() - 1);
}

std::string LastGapText(const HostRow& row) {
  // The newest gap that ended before now. The stretch since the newest
  // heartbeat reaches the window's end: that is the silence (or the wait for
  // the next heartbeat) the STATUS column reports, not a gap that ended.
  if (row.status == HostStatus::kNeverReported || !row.last_heartbeat) return "-";
  for (auto it = row.coverage.gaps.rbegin(); it != row.coverage.gaps.rend(); ++it) {
    if (it->start >= *row.last_heartbeat) continue;
    return absl::StrCat(ShortTime(it->start), " ",
                        absl::FormatDuration(absl::Trunc(it->end - it->start, absl::Seconds(1))));
  }
  return "-";
}

std::string HostTable(const std::vector<HostRow>& rows) {
  size_t host_width = 8, agent_width = 5, address_width = 7, spool_width = 5, gap_width = 8;
  for (const HostRow& r : rows) {
    gap_width = std::max(gap_width, LastGapText(r).size());
    host_width = std::max(host_width, r.hostname.size());
    agent_width = std::max(agent_width, r.agent_id.size());
    address_width = std::max(address_width, AddressText(r).size());
    spool_width = std::max(spool_width, SpoolText(r).size());
  }
  const int hw = static_cast<int>(host_width), aw = static_cast<int>(agent_width);
  const int dw = static_cast<int>(address_width), sw = static_cast<int>(spool_width);
  const int gw = static_cast<int>(gap_width);
  std::string out = absl::StrFormat("%-*s  %-*s  %-20s  %9s  %-*s  %9s  %5s  %-*s  %*s  %s\n",
                                    hw, "HOSTNAME", aw, "AGENT", "LAST SEEN", "COVERAGE", gw,
                                    "LAST GAP", "LOSS", "GAPS", dw, "ADDRESS", sw, "SPOOL",
                                    "STATUS");
  for (const HostRow& r : rows) {
    std::string status = HostStatusText(r);
    if (!r.in_inventory) status += " (not in inventory)";
    if (r.interface_down) status += " (interface down)";
    absl::StrAppendFormat(
        &out, "%-*s  %-*s  %-20s  %8.2f%%  %-*s  %8.3f%%  %5d  %-*s  %*s  %s\n", hw, r.hostname,
        aw, r.agent_id.empty() ? "-" : r.agent_id, ShortTime(r.last_seen),
        100 * r.coverage.fraction, gw, LastGapText(r), CaptureLossPercent(r.loss), r.gaps.gaps, dw, AddressText(r), sw, SpoolText(r), status);
  }
  return out;
}

namespace {

// The keys added after the first release, kept after the original ones.
std::string JsonExtras(const HostRow& r) {
  std::string addresses = "[";
  for (size_t i = 0; i < r.addresses.size(); ++i) {
    absl::StrAppend(&addresses, i > 0 ? "," : "", JsonQuote(r.addresses[i]));
  }
  addresses += "]";
  std::optional<uint64_t> events, bytes;
  std::optional<absl::Time> oldest;
  std::optional<int64_t> age;
  if (r.spool) {
    events = r.spool->events;
    bytes = r.spool->bytes;
    oldest = r.spool->oldest;
    if (r.spool->oldest_age) age = absl::ToInt64Seconds(*r.spool->oldest_age);
  }
  std::string uncovered = "[";
  for (size_t i = 0; i < r.coverage.gaps.size(); ++i) {
    const CoverageGap& g = r.coverage.gaps[i];
    absl::StrAppend(&uncovered, i > 0 ? "," : "", "{\"from\":", JsonQuote(FormatTimeUtc(g.start)),
                    ",\"to\":", JsonQuote(FormatTimeUtc(g.end)), ",\"seconds\":",
                    absl::StrFormat("%.3f", absl::ToDoubleSeconds(g.end - g.start)), "}");
  }
  uncovered += "]";
  return absl::StrCat(
      ",\"agentHostname\":", JsonQuote(r.agent_hostname),
      ",\"matchedBy\":", JsonQuote(r.matched_by), ",\"os\":", JsonQuote(r.os),
      ",\"kernel\":", JsonQuote(r.kernel), ",\"addresses\":", addresses,
      ",\"spoolEvents\":", NumberOrNull(events), ",\"spoolBytes\":", NumberOrNull(bytes),
      ",\"spoolOldest\":", TimeOrNull(oldest), ",\"spoolOldestAgeSeconds\":", NumberOrNull(age),
      ",\"uncovered\":", uncovered);
}

}  // namespace

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
      ",\"status\":", JsonQuote(HostStatusText(r)), JsonExtras(r), "}");
}

}  // namespace cleansweep::collector
