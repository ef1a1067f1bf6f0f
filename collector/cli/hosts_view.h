// The hosts view: every expected (inventory) or seen (agent) host, whether it
// is reporting, and how well it was covered over the last 24 hours.
//
// Rows: one per agent, plus one per inventory host no agent ever reported
// from. An agent belongs to the inventory host of the same hostname (ignoring
// case); failing that, to the inventory host whose MAC is one of the agent's
// interfaces' MACs (its last HostFacts). Ordered by hostname (ignoring case;
// the inventory's spelling when matched), then agent id.
//
// Status, from the agent's newest heartbeat at or before `now`:
//   reporting       it is within 2.5 announced intervals of `now`
//   silent since T  T = that heartbeat's time (the agent's last-seen time when
//                   it never sent a heartbeat)
//   never reported  inventory host with no agent
// Coverage over [now - 24 h, now] follows coverage.h, read from the agent's
// coverage segments (coverage_segments.h): a run that goes on past `now`
// covers up to `now`. Capture loss is the loss of every segment (clock hour)
// that meets the window, so a window starting or ending inside an hour is
// charged that whole hour's loss. All
// times are the agents' heartbeat clocks except last seen (the collector's).
// Spool backlog: spool_events / spool_bytes / spool_oldest of that newest
// heartbeat; the age of the oldest held event is now - spool_oldest (0 when
// the agent's clock is ahead). Addresses: the agent's current addresses
// (last HostFacts) without loopback ones, IPv4 first, then IPv6, then IPv6
// link-local (fe80::/10), each group in reported order, each address once.
//
// Pure functions; thread-safe.
//
// JSON (one object per line; absent times are null):
//   {"hostname":"ws1","agentId":"a1","inInventory":true,"mac":"","owner":"",
//    "lastSeen":"2026-...Z","lastHeartbeat":"2026-...Z","windowSeconds":86400,
//    "coveredSeconds":43200,"coveragePercent":50.000,"coverageGaps":1,
//    "interfaceDown":false,"captureReceived":10,"captureDropped":1,
//    "captureInterfaceDropped":0,"captureLossPercent":10.000,"gaps":0,
//    "lostEvents":0,"status":"reporting",
//    "agentHostname":"WS1","matchedBy":"hostname","os":"...","kernel":"...",
//    "addresses":["10.0.0.5","2001:db8::5"],"spoolEvents":1234,
//    "spoolBytes":567890,"spoolOldest":"2026-...Z","spoolOldestAgeSeconds":10800,
//    "uncovered":[{"from":"2026-...Z","to":"2026-...Z","seconds":600.000}]}
// uncovered: every uncovered stretch of the window, in order (coverageGaps is
// their count).
// matchedBy: "hostname", "mac" or "" (not in the inventory / never reported);
// spool keys are null without a heartbeat, spoolOldest* also when empty.
// Table columns: HOSTNAME AGENT LAST SEEN COVERAGE LAST GAP LOSS GAPS ADDRESS
// SPOOL STATUS; LAST GAP as LastGapText; ADDRESS is the first address and "+N" for the others, SPOOL is
// "EVENTS (AGE)" e.g. "1234 (3h)" (age in s, m, h below 48 h, else d;
// rounded down), "0" when empty, "-" when unknown.
// captureLossPercent = (dropped + interface-dropped) / received, at most 100.
#ifndef CLEANSWEEP_COLLECTOR_CLI_HOSTS_VIEW_H_
#define CLEANSWEEP_COLLECTOR_CLI_HOSTS_VIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/coverage/coverage.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

inline constexpr absl::Duration kHostsWindow = absl::Hours(24);

// What the store knows about one agent, read for the view.
struct AgentActivity {
  AgentSummary agent;
  // The agent's coverage segments meeting [now - window, now] (others are
  // ignored).
  std::vector<CoverageSegment> coverage;
  // The agent's newest heartbeat at or before `now`, if any.
  std::optional<StoredHeartbeat> latest;
  LostEventGaps gaps;                    // recorded in [now - kHostsWindow, now]
  std::optional<StoredHostFacts> facts;  // the agent's last HostFacts, if any
};

// What the agent's spool held at its newest heartbeat.
struct SpoolBacklog {
  uint64_t events = 0;
  uint64_t bytes = 0;
  std::optional<absl::Time> oldest;          // event time of the oldest held event
  std::optional<absl::Duration> oldest_age;  // now - oldest, at least zero
};

enum class HostStatus { kReporting, kSilent, kNeverReported };

struct HostRow {
  std::string hostname;
  std::string agent_id;  // empty for kNeverReported
  bool in_inventory = false;
  std::string mac;
  std::string owner;
  std::optional<absl::Time> last_seen;
  std::optional<absl::Time> last_heartbeat;
  CoverageSummary coverage;
  bool interface_down = false;
  CaptureLoss loss;
  LostEventGaps gaps;
  HostStatus status = HostStatus::kNeverReported;
  absl::Time silent_since;     // kSilent only
  std::string agent_hostname;  // as the agent reports it; "" for kNeverReported
  std::string matched_by;      // "hostname", "mac" or ""
  std::string os;
  std::string kernel;
  std::vector<std::string> addresses;  // current, ordered as described above
  std::optional<SpoolBacklog> spool;   // unset without a heartbeat
};

// Coverage, loss and gaps over [now - window, now] (the hosts command: the
// last 24 h; the audit: its window, `now` being the window's end). A run
// that was still going at `now` covers the window up to `now` (for a window
// in the past, the heartbeat after it is the proof); status and spool come
// from `latest` (nothing after `now`).
std::vector<HostRow> BuildHostRows(const std::vector<InventoryHost>& inventory,
                                   const std::vector<AgentActivity>& agents, absl::Time now,
                                   absl::Duration window = kHostsWindow);

// "reporting", "silent since 2026-11-27T10:00:00Z", "never reported".
std::string HostStatusText(const HostRow& row);
double CaptureLossPercent(const CaptureLoss& loss);

// "1234 (3h)", "0", "-" (see the table columns above).
std::string SpoolText(const HostRow& row);
// "10.0.0.5 +2", "10.0.0.5", "-".
std::string AddressText(const HostRow& row);
// The newest coverage gap before the last heartbeat (what follows it is the
// silence, or the wait for the next heartbeat, that the status reports):
// "2026-11-27T10:00:00Z 10m1s" (start, length rounded down to seconds), or
// "-".
std::string LastGapText(const HostRow& row);

std::string HostTable(const std::vector<HostRow>& rows);
std::string HostJsonLine(const HostRow& row);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_HOSTS_VIEW_H_
