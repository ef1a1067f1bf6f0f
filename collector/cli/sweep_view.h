// How `sweep` and `sweeps` show sweeps (cleansweep.v1.SweepStatus): a text
// report for people; programs use the protobuf JSON mapping of the same
// message. Every string that came from an agent is shown escaped
// (EscapeForDisplay). Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_CLI_SWEEP_VIEW_H_
#define CLEANSWEEP_COLLECTOR_CLI_SWEEP_VIEW_H_

#include <string>
#include <vector>

#include "cleansweep/v1/admin.pb.h"

namespace cleansweep::collector {

// `sweep` exit codes.
inline constexpr int kSweepClean = 0;       // every agent answered, nothing found
inline constexpr int kSweepFound = 1;       // some agent's answer is "found"
inline constexpr int kSweepUnanswered = 2;  // not all answered (or some incomplete)
inline constexpr int kSweepBadUsage = 3;    // bad usage, collector unreachable

// The exit code a sweep's state stands for (found first, then unanswered).
int SweepExitCode(const cleansweep::v1::SweepStatus& status);

// "sweep 3f...: 3 agent(s) asked, 2 reached now; expires 2026-...Z"
std::string SweepIssuedLine(const cleansweep::v1::SweepStatus& status);
// "answered 2/3: 1 found, 0 incomplete"
std::string SweepProgressLine(const cleansweep::v1::SweepStatus& status);

// Every asked agent: verdict and reasons, then its facts (listeners,
// outbound SMTP with processes, hosts-file entries, failed checks, capture
// health), or why there is no answer (not delivered yet / delivered when).
std::string SweepReport(const cleansweep::v1::SweepStatus& status);

// One row per sweep: ID ISSUED EXPIRES ASKED ANSWERED FOUND STATE.
std::string SweepListTable(const std::vector<cleansweep::v1::SweepStatus>& sweeps);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_SWEEP_VIEW_H_
