// StatusSnapshot: what the status page shows about the fleet at one instant,
// read from the store in one go — every expected or seen host with its 24 h
// view (LoadHostRows, the `hosts` command's own rows), its 7 d coverage, and
// its verdict from the live detector's stored findings of the last 24 h,
// and the recent sweeps (the newest, and each host's part in them).
// The API's fleet, hosts and metrics answers are pure functions of it.
//
// Verdict of a host: its worst finding's severity name (evaluate.h
// SeverityName: "notice", "suspicious", "mass-mailing", "worm-scanning");
// without findings "clean" when the 24 h window is at least partly covered,
// else "unknown" (silence that nobody watched proves nothing). A finding
// belongs to the host whose agent id it names, else to the host that
// currently holds its address.
//
// The 7-day coverage changes slowly and costs most to read (every agent's
// segments of a week), so it is loaded on its own (LoadWeekCoverage) and may
// be older than the rest of the snapshot (router.h refreshes it less often).
// Pure functions of the store; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_STATUS_SNAPSHOT_H_
#define CLEANSWEEP_COLLECTOR_WEB_STATUS_SNAPSHOT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cleansweep/v1/admin.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "collector/cli/hosts_view.h"
#include "collector/coverage/coverage.h"
#include "collector/web/coverage_view.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector::web {

inline constexpr absl::Duration kDayWindow = absl::Hours(24);
inline constexpr absl::Duration kWeekWindow = absl::Hours(24 * 7);

// A host's part in a sweep (sweeps_api.h shows it).
struct HostSweep {
  std::string sweep_id;
  absl::Time issued;
  // agent id, delivery and answer times, verdict, reasons (no result).
  cleansweep::v1::SweepAgentStatus answer;
};

// The sweeps a snapshot reads: each host's last sweep is the newest of
// these that asked its agent.
inline constexpr size_t kSnapshotSweeps = 5;

struct HostView {
  // What the page links the host by: its agent id, or for an inventory host
  // that never reported, its hostname.
  std::string key;
  HostRow day;              // over [now - 24 h, now]
  CoverageSummary week;     // coverage over the last 7 d (WeekCoverage)
  cleansweep::v1::Severity worst = cleansweep::v1::SEVERITY_UNSPECIFIED;
  uint32_t findings = 0;    // stored findings of the last 24 h
  std::string verdict;      // as described above
  std::optional<HostSweep> last_sweep;  // unset: none of the recent sweeps asked it
};

struct StatusSnapshot {
  absl::Time now;
  std::vector<HostView> hosts;  // in LoadHostRows order (hostname, then agent id)
  // Stored findings meeting [now - 24 h, now], as ListFindings orders them;
  // evidence not described.
  std::vector<cleansweep::v1::Finding> findings;
  uint64_t events_stored = 0;  // every agent's stored events
  // The newest sweep with its counts (no agent rows); unset before the first.
  std::optional<cleansweep::v1::SweepStatus> last_sweep;

  // The host a finding belongs to (see above); null when none.
  const HostView* HostOfFinding(const cleansweep::v1::Finding& finding) const;
  // The host whose key is `key`, else the first whose hostname is `key`
  // (ASCII case ignored); null when none.
  const HostView* FindHost(absl::string_view key) const;

  // Indexes into `hosts` for the two lookups above; filled by
  // LoadStatusSnapshot (and IndexHosts, for snapshots built by hand).
  std::map<std::string, size_t> by_agent;
  std::map<std::string, size_t> by_address;
  void IndexHosts();
};

// Every agent's coverage of [at - 7 d, at].
struct WeekCoverage {
  absl::Time at;
  CoverageByAgent agents;
};
absl::StatusOr<WeekCoverage> LoadWeekCoverage(EventStore& store, absl::Time at);

// The snapshot as of `now`, with each host's 7-day coverage from `week`.
absl::StatusOr<StatusSnapshot> LoadStatusSnapshot(EventStore& store, absl::Time now,
                                                  const WeekCoverage& week);
// The same with the week read as of `now` too.
absl::StatusOr<StatusSnapshot> LoadStatusSnapshot(EventStore& store, absl::Time now);

// "clean" / "unknown" / severity name, as described above.
std::string VerdictOf(cleansweep::v1::Severity worst, const HostRow& day);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_STATUS_SNAPSHOT_H_
