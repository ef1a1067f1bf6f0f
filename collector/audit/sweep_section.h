// The audit's sweep section: which sweeps asked which hosts to check
// themselves around the window, who answered, and what they found.
//
// Sweeps listed (newest issued first): those issued in [from, to], and those
// with an answer judged FOUND stored in [from, to] (so every sweep behind a
// finding of the sweep rules is listed); when there is none, the latest one
// issued before `to`. Per sweep, every asked host: found first, then
// incomplete, clean and no answer, each group by host name; its name is the
// inventory's (the coverage section's row for its agent), else the agent's;
// its addresses are those it held when it answered (sweep_answers.h order:
// the one a finding names first), or when the sweep was issued if it never
// answered; backdoor_listeners are its listening sockets on the sweep's
// backdoor ports. The section states; the verdict comes from the findings.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_SWEEP_SECTION_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_SWEEP_SECTION_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cleansweep/v1/audit.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

// `now`: what `expired` is judged against. Store errors as they come.
absl::StatusOr<cleansweep::v1::SweepSection> LoadSweepSection(
    EventStore& store, const CompiledRules& rules, const cleansweep::v1::CoverageSection& coverage,
    absl::Time from, absl::Time to, absl::Time now);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_SWEEP_SECTION_H_
