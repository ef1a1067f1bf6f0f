// The one judgement: rules + site + the events of a window -> findings. Used
// by the live detector (live_detector.h) on each host's recent facts and by
// `cleansweep-collector findings` on stored history, so the two can never
// disagree about the same events.
//
// Semantics, per internal host and per rule (see findings.proto Finding):
//  - The host's facts are taken in FactBefore order. At each fact the rule's
//    count is taken over the sliding window (t - window, t]; the rule fires
//    when the count reaches `threshold` (for the failed-connection ratio: at
//    least `threshold` attempts of which at least `min_ratio` failed).
//  - Firings less than one window apart belong to one episode = one finding;
//    a longer lull starts a new finding.
//  - Counts per signal: distinct external SMTP destinations (port 25 unless
//    the rule names ports); SMTP attempts; distinct MX names; RCPT TO
//    commands; transactions with MAIL FROM in our domains; failed/total
//    attempts; distinct destinations on the busiest worm port. Approved
//    relays and mail servers are exempt from the SMTP and MX signals; an
//    approved relay is never an external destination.
// Pure functions; the output is sorted by (host address, first_time, rule name).
#ifndef CLEANSWEEP_COLLECTOR_DETECT_EVALUATE_H_
#define CLEANSWEEP_COLLECTOR_DETECT_EVALUATE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cleansweep/v1/event.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/fact.h"

namespace cleansweep::collector {

// Evidence events listed per finding: the first kEvidenceFirst counted ones
// and the one that fired.
inline constexpr int kEvidenceFirst = 5;

// Judges one host's facts, which must be sorted by FactBefore. Appends the
// findings (evidence without summaries) to `out`.
void JudgeHost(const CompiledRules& rules, const AgentIds& agents, const IpAddress& host,
               absl::Span<const Fact> facts, std::vector<cleansweep::v1::Finding>* out);

// Batch evaluation over any set of events: add them in any order, then Judge.
class Evaluation {
 public:
  explicit Evaluation(std::shared_ptr<const CompiledRules> rules);

  // Events the rules do not judge (source outside every internal network,
  // unknown kind) are counted in events_added() and otherwise ignored.
  void Add(absl::string_view agent_id, const cleansweep::v1::Event& event);

  // Every host's findings, sorted as SortFindings does.
  std::vector<cleansweep::v1::Finding> Judge();

  uint64_t events_added() const { return events_added_; }
  uint64_t hosts() const { return hosts_.size(); }

 private:
  std::shared_ptr<const CompiledRules> rules_;
  AgentIds agents_;
  absl::flat_hash_map<IpAddress, std::vector<Fact>> hosts_;
  uint64_t events_added_ = 0;
};

// Orders findings as Judge returns them.
void SortFindings(std::vector<cleansweep::v1::Finding>* findings);

// The worst severity among `findings` for each host is its verdict.
cleansweep::v1::Severity WorstSeverity(absl::Span<const cleansweep::v1::Finding> findings);

// "notice", "suspicious", "mass-mailing", "worm-scanning" ("clean" for unspecified).
absl::string_view SeverityName(cleansweep::v1::Severity severity);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_EVALUATE_H_
