// The status page's JSON API (/api/v1/...) and /metrics as functions of a
// snapshot (status_snapshot.h) and the web's own read-only store: the HTTP
// layer only maps paths and parameters to these. Every string that came from
// an agent or the inventory is escaped by JsonWriter (json_writer.h).
// Thread-safe (the store serializes its own calls).
#ifndef CLEANSWEEP_COLLECTOR_WEB_STATUS_API_H_
#define CLEANSWEEP_COLLECTOR_WEB_STATUS_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"
#include "collector/web/hosts_query.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

// GET /api/v1/fleet:
//   {"now":"...","window":{"from":"...","to":"..."},
//    "hosts":{"total":12,"expected":10,"unexpected":2,"reporting":8,"silent":2,
//             "neverReported":2},
//    "verdicts":{"unknown":2,"clean":9,"notice":0,"suspicious":0,"mass-mailing":1,
//                "worm-scanning":0},
//    "coverage24h":{"percent":81.2,"full":8,"partial":2,"none":2},
//    "captureLoss":{"received":N,"dropped":N,"interfaceDropped":N,"percent":0.01},
//    "findings":3,"eventsStored":123456,
//    "attention":[{"key":"ws07","hostname":"ws07","agentId":"ws07",
//                  "status":"reporting","verdict":"mass-mailing","reason":"..."}],
//    "attentionTotal":4,"lastSweep":null|{sweep object of sweeps_api.h}}
// total = expected (inventory) + unexpected (agents matching no inventory
// host). full = 24 h coverage of at least 99.9 %, none = nothing covered;
// percent is the mean over every host. Capture loss sums every host's 24 h
// counters. attention: flagged hosts worst first, then silent hosts (longest
// silent first), then never-reported ones; at most kMaxAttention.
inline constexpr size_t kMaxAttention = 20;
std::string FleetJson(const StatusSnapshot& snapshot);

// GET /api/v1/hosts?... (hosts_query.h):
//   {"now":"...","total":N,"all":N,"offset":0,"limit":50,"sort":"hostname",
//    "order":"asc","hosts":[host object of host_json.h, ...]}
// total counts the hosts matching the filters, all every host.
std::string HostsJson(const StatusSnapshot& snapshot, const HostsQuery& query);

// GET /api/v1/hosts/{key}: key is an agent id or a hostname
// (StatusSnapshot::FindHost); NotFound when no host has it.
//   {"now":"...","host":{host object},
//    "timeline":{"24h":{timeline},"7d":{timeline}},   (both as of "now")
//    "egress":{egress_timeline.h},
//    "findings":[finding...],          stored findings of the last 7 days, newest first,
//    "findingsTotal":N,                with their evidence (at most kMaxHostFindings)
//    "sweeps":[result...]}            sweeps_api.h HostSweepsJson
// `rules` classifies the egress (may be null).
inline constexpr size_t kMaxHostFindings = 100;
// The egress timeline reads at most this many of the host's events.
inline constexpr size_t kMaxEgressEvents = 200000;
absl::StatusOr<std::string> HostJson(EventStore& store, const StatusSnapshot& snapshot,
                                     absl::string_view key, const CompiledRules* rules);

// GET /api/v1/findings?since=&severity=&q=&offset=&limit=
//   since     how far back: "24h" (default), "7d", "90m", or a time (RFC 3339,
//             YYYY-MM-DD, @UNIX)
//   severity  notice | suspicious | mass-mailing | worm-scanning (only that one)
//   q         substring of the address, agent id, hostname or rule
//   offset, limit as for hosts (limit default 100, at most 500)
//   {"now":"...","from":"...","total":N,"offset":0,"limit":100,
//    "findings":[finding...]}   newest firing first, with evidence
// Finding object:
//   {"host":"10.20.1.7","hostKey":"ws07"|null,"hostname":"ws07","agentId":"ws07",
//    "rule":"...","severity":"mass-mailing","signal":"smtp_external_destinations",
//    "description":"...","windowSeconds":120,"threshold":10,"peak":60,"total":60,
//    "attempts":0,"failed":0,"firstTime":"...","firedTime":"...","lastTime":"...",
//    "rulesDigest":"...",
//    "evidence":[{"agentId":"ws07","sequence":12,"time":"...","summary":"smtp ...",
//                 "sweepId":""}]}
// (summary "" when the event is no longer stored; for a sweep rule's finding
// each evidence item is a sweep answer's: sweepId set, sequence 0). InvalidArgument for a bad
// parameter.
absl::StatusOr<std::string> FindingsJson(EventStore& store, const StatusSnapshot& snapshot,
                                         const std::map<std::string, std::string>& params);

// What only the running service knows; unset where the caller cannot tell.
struct LiveCounters {
  std::optional<uint64_t> connected_agents;
  std::optional<uint64_t> events_ingested;  // durably stored since the process started
  std::optional<uint64_t> store_bytes;      // database file and its WAL
};

// GET /metrics: Prometheus text format 0.0.4, e.g.
//   cleansweep_events_ingested_total 1234     (counter; rate() of it is the ingest rate)
//   cleansweep_events_stored 123456
//   cleansweep_agents_connected 8
//   cleansweep_hosts{status="reporting"} 8    (also silent, never_reported)
//   cleansweep_hosts_expected 10
//   cleansweep_hosts_verdict{verdict="clean"} 9
//   cleansweep_findings{severity="mass-mailing"} 1   (stored findings, last 24 h)
//   cleansweep_capture_packets_received 1000  (last 24 h, every host)
//   cleansweep_capture_packets_dropped 3      (dropped + interface-dropped)
//   cleansweep_store_size_bytes 4096
std::string MetricsText(const StatusSnapshot& snapshot, const LiveCounters& live);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_STATUS_API_H_
