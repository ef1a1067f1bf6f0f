// The `rules check` subcommand: loads and validates a rules directory
// (collector/rules/rule_loader.h) and says whether it is usable.
//
//   cleansweep-collector rules check [DIR]     (DIR defaults to "rules",
//                                               relative to the working directory)
//
// Success: one line on stdout,
//   "rules OK: N worm families, M rules, site S; digest D"   exit 0.
// Failure: every error on stderr, one per line (FILE:LINE:COLUMN: ... or
// FILE:LINE:COLUMN: rule 'NAME': ...), then "rules check failed: K error(s)";
// exit 1 (also when a file is missing).
#ifndef CLEANSWEEP_COLLECTOR_CLI_RULES_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_CLI_RULES_COMMAND_H_

#include <string>

#include "collector/rules/rule_loader.h"

namespace cleansweep::collector {

struct RulesCheckConfig {
  std::string dir = "rules";
};
int RunRulesCheck(const RulesCheckConfig& config);

// The success line, without a newline. Pure.
std::string RulesOkLine(const RuleSet& rules);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_RULES_COMMAND_H_
