#include "collector/cli/rules_command.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cleansweep::collector {

std::string RulesOkLine(const RuleSet& rules) {
  return absl::StrCat("rules OK: ", rules.worms.family_size(), " worm families, ",
                      rules.detection.rule_size(), " rules, site ", rules.site.name(),
                      "; digest ", rules.digest);
}

int RunRulesCheck(const RulesCheckConfig& config) {
  absl::StatusOr<RuleSet> rules = LoadRuleSet(config.dir);
  if (!rules.ok()) {
    const std::vector<std::string> errors = RuleErrors(rules.status());
    for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "rules check failed: %zu error(s) in %s\n", errors.size(),
                 config.dir.c_str());
    return 1;
  }
  std::printf("%s\n", RulesOkLine(*rules).c_str());
  return 0;
}

}  // namespace cleansweep::collector
