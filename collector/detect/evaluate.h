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
#include <optional>
#include <utility>
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

  // The same for an event as the agent serialized it (a stored payload);
  // false, adding nothing, when the bytes do not parse as an Event. Plainly
  // encoded events are read without building the message (event_wire.h).
  bool AddSerialized(absl::string_view agent_id, absl::string_view payload);

  // AddSerialized in two steps, so that events can be read on another
  // thread: ReadSerialized is thread-safe and gives the event's fact (none
  // for an event the rules do not judge), or false when the payload does not
  // parse; AddRead adds an event so read for `agent_id` (the fact's agent
  // index is set there).
  static bool ReadSerialized(const CompiledRules& rules, absl::string_view payload,
                             std::optional<HostFact>* fact);
  void AddRead(absl::string_view agent_id, std::optional<HostFact> fact);

  // Every host's findings, sorted as SortFindings does. Hosts are judged on
  // up to `threads` threads; the result is the same for any number.
  std::vector<cleansweep::v1::Finding> Judge(int threads = 1);

  uint64_t events_added() const { return events_added_; }
  uint64_t hosts() const { return hosts_.size(); }

 private:
  void AddFact(const HostFact& hf);

  std::shared_ptr<const CompiledRules> rules_;
  AgentIds agents_;
  // Each host's facts, in order of first appearance; `host_index_` finds
  // them, and consecutive facts of one host (an agent's batch) skip it.
  absl::flat_hash_map<IpAddress, uint32_t> host_index_;
  std::vector<std::pair<IpAddress, std::vector<Fact>>> hosts_;
  uint32_t last_host_ = 0;
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
