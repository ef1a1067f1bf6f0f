// The audit's verdict and the external audience's redaction. Pure functions.
//
// Verdict, from a report whose coverage, findings, sweeps and complaints are
// filled (each listed sweep adds a reason; a backdoor listener counts through
// its finding):
//   infected (exit 1)     a host has a finding of severity suspicious or worse,
//                         or a complaint's origin is ours and hosts of ours
//                         talked SMTP to its destination around its time;
//   inconclusive (exit 2) otherwise, when the share of expected hosts watched
//                         for the whole window is below the site's
//                         clean_coverage, or an expected host was not watched
//                         at a complaint's time, or a complaint's origin is
//                         ours but no host of ours can be named;
//   clean (exit 0)        otherwise.
// The sentence opens a reply; `reasons` lists every fact that decided it.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_VERDICT_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_VERDICT_H_

#include "cleansweep/v1/audit.pb.h"

namespace cleansweep::collector {

inline constexpr int kAuditClean = 0;
inline constexpr int kAuditInfected = 1;
inline constexpr int kAuditInconclusive = 2;
inline constexpr int kAuditBadInput = 3;

cleansweep::v1::Verdict DecideVerdict(const cleansweep::v1::AuditReport& report);

// For `--audience external`: every internal host name, agent id and internal
// address is replaced by a stable label ("host 1", "host 2", ... in coverage
// order) or removed (evidence summaries, addresses; for what sweeps found:
// socket and hosts-file addresses, executable paths, the sweep's reasons).
// Counts, times, rule names, ports, process names and the complaint's own
// (external) data stay. Call before DecideVerdict, so that the sentence uses
// the labels too.
void RedactForExternal(cleansweep::v1::AuditReport* report);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_VERDICT_H_
