// Re-judging stored history: reads the events of [from - longest window, to]
// from a store, runs the evaluation (collector/detect/evaluate.h), judges the
// sweep answers of [from - longest sweep rule window, to] with the sweep
// rules (collector/sweep/sweep_findings.h), and keeps the findings that meet
// [from, to], with their evidence described from the stored events. Shared
// by `findings` and the audit.
#ifndef CLEANSWEEP_COLLECTOR_CLI_REJUDGE_H_
#define CLEANSWEEP_COLLECTOR_CLI_REJUDGE_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cleansweep/v1/findings.pb.h"
#include "absl/strings/string_view.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/fact.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct RejudgeStats {
  uint64_t events = 0;
  absl::Duration elapsed;
};

// Called with every judged fact whose time is in [from, to], in scan order,
// so that one pass over the events can feed other tallies (the audit's
// egress).
using FactVisitor = std::function<void(absl::string_view agent_id, const HostFact& fact)>;

// `progress` (may be empty) is called now and then with the events read so
// far; `visit` (may be empty) as FactVisitor says.
absl::StatusOr<cleansweep::v1::FindingReport> Rejudge(
    EventStore& store, std::shared_ptr<const CompiledRules> rules, absl::Time from, absl::Time to,
    const std::function<void(uint64_t events)>& progress, RejudgeStats* stats,
    const FactVisitor& visit = nullptr);

// Fills each evidence summary from the stored event (left empty when the
// event is gone; sweep evidence keeps its own) and the report's verdicts
// from its findings.
void DescribeEvidence(EventStore& store, cleansweep::v1::Finding* finding);
void FillVerdicts(cleansweep::v1::FindingReport* report);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_REJUDGE_H_
