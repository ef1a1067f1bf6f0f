// Sweeps on the status page: the stored sweeps (EventStore::ListSweeps) as
// the API shows them. The snapshot (status_snapshot.h) carries the newest
// sweep and each host's part in the recent ones; the sweep list, one sweep's
// hosts and a host's results are read from the store per request.
//
// JSON shapes:
//   sweep:      {"id":"...","issued":"2026-...Z","expires":"2026-...Z","expired":false,
//                "asked":N,"delivered":N,"answered":N,"found":N,"incomplete":N}
//   sweep host: {"key":"ws07"|null,"hostname":"ws07","agentId":"ws07",
//                "delivered":"..."|null,"answered":"..."|null,
//                "status":"found"|"clean"|"incomplete"|"no answer","reasons":["..."]}
//   last sweep of a host (Hosts list):
//               {"sweepId":"...","issued":"...","time":"..."|null,"status":"..."}
//   result (Host page): {"sweepId":"...","issued":"...","expired":false,
//                "delivered":"..."|null,"time":"..."|null,"status":"...","reasons":[...],
//                "platform":"linux","hostsFile":"/etc/hosts","hostsEntries":N,
//                "listeners":[{"transport":"tcp","address":"0.0.0.0","port":3127,
//                              "backdoor":true,"processes":[{"pid":1,"name":"..","exe":".."}]}],
//                "smtpConnections":[{"local":"10.0.0.7:50211","remote":"192.0.2.25:25",
//                                    "state":"ESTABLISHED","processes":[...]}],
//                "hostsRedirects":[{"line":2,"name":"..","address":"..","domain":".."}],
//                "errors":["..."],"unattributed":N,"omitted":N}
// "status" is the collector's judgement (sweep_judge.h); "backdoor": the
// port is one the sweep asked about as a backdoor. Every string an agent
// sent is escaped by JsonWriter.
#ifndef CLEANSWEEP_COLLECTOR_WEB_SWEEPS_API_H_
#define CLEANSWEEP_COLLECTOR_WEB_SWEEPS_API_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "collector/store/event_store.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

inline constexpr size_t kMaxListedSweeps = 100;
inline constexpr size_t kMaxHostSweeps = 20;

// GET /api/v1/sweeps: {"now":"...","sweeps":[sweep...],"more":false,"available":true}
//   the newest kMaxListedSweeps, newest first; "more": older ones exist.
// GET /api/v1/sweeps?id=ID: {"now":"...","sweep":{sweep...,"hosts":[sweep host...]}}
//   hosts: found first, then incomplete, clean, no answer, each by host name.
//   NotFound for an unknown id.
absl::StatusOr<std::string> SweepsJson(EventStore& store, const StatusSnapshot& snapshot,
                                       const std::map<std::string, std::string>& params);

// The fleet's last sweep (a sweep object), or null.
std::string LastSweepJson(const StatusSnapshot& snapshot);

// A host's last sweep (Hosts list), or null.
std::string HostLastSweepJson(const HostView& host);

// A host's sweep results, newest first, at most kMaxHostSweeps (Host page):
// a JSON array; empty for a host that never reported.
absl::StatusOr<std::string> HostSweepsJson(EventStore& store, const StatusSnapshot& snapshot,
                                           const HostView& host);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_SWEEPS_API_H_
