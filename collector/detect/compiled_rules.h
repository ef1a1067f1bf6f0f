// A validated RuleSet (collector/rules/rule_loader.h) turned into what the
// evaluation needs at event rate: address sets, lower-cased mail domains,
// port ranges, windows in microseconds. Immutable once built; shared by the
// live detector and `findings` through a shared_ptr.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_COMPILED_RULES_H_
#define CLEANSWEEP_COLLECTOR_DETECT_COMPILED_RULES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/rules.pb.h"
#include "collector/detect/ip_address.h"
#include "collector/rules/rule_loader.h"

namespace cleansweep::collector {

struct PortRange {
  uint32_t first = 0;
  uint32_t last = 0;
  cleansweep::v1::Transport transport = cleansweep::v1::TRANSPORT_UNSPECIFIED;

  bool Contains(uint32_t port, cleansweep::v1::Transport t) const {
    return t == transport && port >= first && port <= last;
  }
};

struct CompiledRule {
  const cleansweep::v1::DetectionRule* rule = nullptr;  // owned by the RuleSet
  int64_t window_us = 0;
  std::vector<PortRange> ports;  // the rule's filter, or the signal's natural ports
};

struct CompiledRules {
  std::shared_ptr<const RuleSet> source;
  CidrSet internal;
  CidrSet relays;        // approved relays: never an external destination
  CidrSet mail_servers;  // with the relays: exempt from the SMTP and MX signals
  // Addresses mail of ours may leave from: public egress, mail servers and
  // relays (what the audit calls "ours").
  CidrSet ours;
  std::vector<std::string> mail_domains;  // lower case
  std::vector<PortRange> worm_ports;      // every port of worms.textproto
  // The rules judged over events, in file order; max_window_us is the
  // longest of their windows (how far back re-judging reads).
  std::vector<CompiledRule> rules;
  int64_t max_window_us = 0;
  // The rules of the sweep signals (IsSweepSignal), in file order: judged
  // over sweep answers (collector/sweep/sweep_findings.h), never over events.
  // `ports` holds the rule's filter only (empty: no filter).
  std::vector<CompiledRule> sweep_rules;
  const std::string& digest() const { return source->digest; }

  // True when `domain` (any case) is one of ours or a subdomain of one.
  bool IsOwnDomain(absl::string_view domain) const;
  static bool InRanges(const std::vector<PortRange>& ranges, uint32_t port,
                       cleansweep::v1::Transport t);
};

// SIGNAL_SWEEP_BACKDOOR_LISTENER and SIGNAL_SWEEP_HOSTS_REDIRECT: signals of
// sweep answers, not of events.
bool IsSweepSignal(cleansweep::v1::Signal signal);

// InvalidArgument only if the set was not validated (a CIDR that does not parse).
absl::StatusOr<std::shared_ptr<const CompiledRules>> CompileRules(
    std::shared_ptr<const RuleSet> rules);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_COMPILED_RULES_H_
