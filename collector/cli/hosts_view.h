// The hosts view: every expected (inventory) or seen (agent) host, whether it
// is reporting, and how well it was covered over the last 24 hours.
//
// Rows: one per agent (hostname matched to the inventory ignoring case), plus
// one per inventory host no agent ever reported from. Ordered by hostname
// (ignoring case), then agent id.
//
// Status, from the agent's newest heartbeat at or before `now`:
//   reporting       it is within 2.5 announced intervals of `now`
//   silent since T  T = that heartbeat's time (the agent's last-seen time when
//                   it never sent a heartbeat)
//   never reported  inventory host with no agent
// Coverage and capture loss over [now - 24 h, now] follow coverage.h. All
// times are the agents' heartbeat clocks except last seen (the collector's).
//
// Pure functions; thread-safe.
//
// JSON (one object per line; absent times are null):
//   {"hostname":"ws1","agentId":"a1","inInventory":true,"mac":"","owner":"",
//    "lastSeen":"2026-...Z","lastHeartbeat":"2026-...Z","windowSeconds":86400,
//    "coveredSeconds":43200,"coveragePercent":50.000,"coverageGaps":1,
//    "interfaceDown":false,"captureReceived":10,"captureDropped":1,
//    "captureInterfaceDropped":0,"captureLossPercent":10.000,"gaps":0,
//    "lostEvents":0,"status":"reporting"}
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
// Heartbeats read before the window so that a run crossing its start counts.
inline constexpr absl::Duration kHostsLookback = absl::Hours(1);

// What the store knows about one agent, read for the view.
struct AgentActivity {
  AgentSummary agent;
  // Heartbeats with time in [now - kHostsWindow - kHostsLookback, now].
  std::vector<StoredHeartbeat> heartbeats;
  LostEventGaps gaps;  // recorded in [now - kHostsWindow, now]
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
  absl::Time silent_since;  // kSilent only
};

HeartbeatSample ToSample(const cleansweep::v1::Heartbeat& heartbeat);

std::vector<HostRow> BuildHostRows(const std::vector<InventoryHost>& inventory,
                                   const std::vector<AgentActivity>& agents, absl::Time now);

// "reporting", "silent since 2026-11-27T10:00:00Z", "never reported".
std::string HostStatusText(const HostRow& row);
double CaptureLossPercent(const CaptureLoss& loss);

std::string HostTable(const std::vector<HostRow>& rows);
std::string HostJsonLine(const HostRow& row);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_HOSTS_VIEW_H_
