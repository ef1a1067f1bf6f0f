// One host as the status page's API shows it (in the Hosts list and on the
// Host page), and its coverage as a timeline. Pure functions; thread-safe.
//
// Host object:
//   {"key":"ws07","hostname":"ws07","agentId":"ws07","agentHostname":"WS07",
//    "inInventory":true,"owner":"alice","mac":"00:11:22:33:44:55",
//    "matchedBy":"hostname","addresses":["10.20.1.7"],
//    "lastSeen":"2026-...Z","lastHeartbeat":"2026-...Z",
//    "status":"reporting"|"silent"|"never reported","silentSince":null|"2026-...Z",
//    "coverage24h":{"percent":99.5,"coveredSeconds":85968,
//                   "uncovered":[{"from":"...","to":"..."}],"uncoveredTruncated":false},
//    "coverage7d":{...same...},
//    "captureLoss":{"received":10,"dropped":1,"interfaceDropped":0,"percent":10.0},
//    "interfaceDown":false,"lostEvents":0,"lostEventGaps":0,
//    "spool":null|{"events":12,"bytes":3456,"oldestAgeSeconds":30|null},
//    "verdict":"clean","findings":0,
//    "lastSweep":null|{"sweepId":"...","issued":"...","time":"..."|null,"status":"..."}}
// At most kMaxListedGaps uncovered stretches are listed per window (the
// oldest first); uncoveredTruncated says when more exist.
//
// Timeline object (Host page), for the window [from, to]:
//   {"from":"...","to":"...","percent":50.0,
//    "covered":[{"from":"...","to":"..."}],"uncovered":[{"from":"...","to":"..."}]}
// covered and uncovered partition the window, each in time order.
#ifndef CLEANSWEEP_COLLECTOR_WEB_HOST_JSON_H_
#define CLEANSWEEP_COLLECTOR_WEB_HOST_JSON_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "collector/coverage/coverage.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

inline constexpr size_t kMaxListedGaps = 500;

// "reporting", "silent", "never reported".
const char* StatusName(HostStatus status);

// `now`: the snapshot's time (the windows end there).
void WriteHost(const HostView& host, absl::Time now, JsonWriter* out);
void WriteTimeline(const CoverageSummary& coverage, absl::Time from, absl::Time to,
                   JsonWriter* out);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_HOST_JSON_H_
