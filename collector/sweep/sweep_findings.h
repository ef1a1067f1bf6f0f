// Sweep answers judged by the detection rules: the SIGNAL_SWEEP_* rules
// (rules.proto) turn what a sweep found on a host into findings, so that a
// backdoor listener shows up wherever findings do (`findings`, the live
// findings `serve` stores, the status page, the audit).
//
// Semantics, per (host, agent) and per sweep rule (CompiledRules::
// sweep_rules):
//  - An answer counts at answered_time (the collector's clock when it stored
//    it). Its count: SIGNAL_SWEEP_BACKDOOR_LISTENER, the distinct (transport,
//    port) of its listening sockets on the request's backdoor ports (and on
//    the rule's ports, when it names any); SIGNAL_SWEEP_HOSTS_REDIRECT, the
//    distinct names of its hosts-file redirects. It fires when the count
//    reaches the rule's threshold.
//  - Firing answers less than the rule's window apart are one finding:
//    first_time = fired_time = the first one's time, last_time = the last
//    one's; peak = the highest count of one answer, total = the answers that
//    fired. A longer lull starts a new finding.
//  - Evidence: what the first firing answer counted (at most
//    kEvidenceFirst + 1 items), then the first item of the last firing answer
//    when that is another answer; each with the sweep id, the listener or
//    hosts-file entry, and a one-line summary with agent text escaped.
// Only answers the sweep judged FOUND can fire (sweep_judge.h: a listener on
// a backdoor port or a hosts redirect makes an answer FOUND), so callers may
// read only those. Pure functions; the output is sorted as SortFindings does.
#ifndef CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_FINDINGS_H_
#define CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_FINDINGS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "collector/detect/compiled_rules.h"

namespace cleansweep::collector {

// One agent's answer, as the rules judge it.
struct SweepAnswerFacts {
  std::string sweep_id;
  std::string agent_id;
  // The finding's host: the address the agent's host held when it answered
  // (sweep_answers.h HostAddressAt).
  std::string host;
  absl::Time answered_time;
  // What the sweep asked about (only backdoor_ports is read).
  cleansweep::v1::SweepRequest request;
  cleansweep::v1::SweepResult result;
};

std::vector<cleansweep::v1::Finding> JudgeSweepAnswers(const CompiledRules& rules,
                                                       absl::Span<const SweepAnswerFacts> answers);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_FINDINGS_H_
