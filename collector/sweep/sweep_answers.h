// Stored sweep answers made ready for the sweep rules (sweep_findings.h):
// which answers can fire, and which address names the answering host.
//
// HostAddressAt: findings are keyed by address, and an agent's host may hold
// several (and others over time). Among the agent's address periods
// (EventStore::ListAddressHistory) that held at `at` — or, when none did,
// those closest in time — the first in this order: inside the site's
// internal networks; not loopback, link-local or unspecified; IPv4; then by
// interface name and address. The agent id when it never reported one.
#ifndef CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_ANSWERS_H_
#define CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_ANSWERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"
#include "collector/sweep/sweep_findings.h"

namespace cleansweep::collector {

// `periods` may hold other agents' periods too; only `agent_id`'s count.
std::string HostAddressAt(absl::Span<const AddressRecord> periods, const CompiledRules& rules,
                          absl::string_view agent_id, absl::Time at);
// Every address of those periods (held at `at`, or closest in time), in the
// order above, each once; empty when the agent never reported one.
std::vector<std::string> HostAddressesAt(absl::Span<const AddressRecord> periods,
                                         const CompiledRules& rules, absl::string_view agent_id,
                                         absl::Time at);

// The answers of `agent_id` ("" = every agent) stored in [from, to] that the
// sweep judged FOUND (no other answer can fire a sweep rule), oldest first,
// each with its host's address then. Store errors as they come.
absl::StatusOr<std::vector<SweepAnswerFacts>> LoadFoundSweepAnswers(EventStore& store,
                                                                    const CompiledRules& rules,
                                                                    absl::string_view agent_id,
                                                                    absl::Time from, absl::Time to);

// Judges them: JudgeSweepAnswers(rules, LoadFoundSweepAnswers(...)). `read`
// (may be null) gets the number of answers judged.
absl::StatusOr<std::vector<cleansweep::v1::Finding>> JudgeStoredSweepAnswers(
    EventStore& store, const CompiledRules& rules, absl::string_view agent_id, absl::Time from,
    absl::Time to, uint64_t* read = nullptr);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_ANSWERS_H_
