// What a sweep asks every agent to look for, decided by the collector:
//  - backdoor ports: Mydoom's 3127-3198 and every PORT_ROLE_BACKDOOR_LISTENER
//    port of the worm knowledge base (rules/worms.textproto); a listener on
//    one of them makes the agent's answer "found";
//  - protected domains: hosts-file entries for them (or names below them)
//    make it "found" too (rules/protected_domains.txt says why and where the
//    list comes from).
// Without --rules the built-in defaults are used; they equal what the shipped
// rules/ give (sweep_plan_test checks it). Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_PLAN_H_
#define CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "cleansweep/v1/rules.pb.h"

namespace cleansweep::collector {

inline constexpr char kProtectedDomainsFile[] = "protected_domains.txt";

struct SweepPlan {
  // Sorted by (transport, port), one entry per port.
  std::vector<cleansweep::v1::PortSpec> backdoor_ports;
  std::vector<std::string> protected_domains;
};

// Mydoom's 3127-3198 and the knowledge base's backdoor-listener ports.
std::vector<cleansweep::v1::PortSpec> BackdoorPorts(const cleansweep::v1::WormKnowledgeBase& worms);

SweepPlan DefaultSweepPlan();

// One domain per line, '#' comments, blank lines ignored; names are
// lower-cased, a trailing dot dropped. InvalidArgument "PATH:LINE: ..." for a
// line that is not a domain name (letters, digits, '-', at least one dot).
absl::StatusOr<std::vector<std::string>> ParseProtectedDomains(absl::string_view text,
                                                               absl::string_view path);

// DIR/protected_domains.txt when it exists (its errors otherwise), else the
// built-in list; backdoor ports from `worms`.
absl::StatusOr<SweepPlan> SweepPlanFromRules(const std::string& dir,
                                             const cleansweep::v1::WormKnowledgeBase& worms);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_PLAN_H_
