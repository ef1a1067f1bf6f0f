// Fuzzes the rules loader. The input is split into the three files at lines
// "#=====" (worms, detection, site; missing parts are empty). Any input must
// give a RuleSet with a 64-hex digest or an error with at least one line,
// never a crash, a hang or an unbounded report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "collector/rules/rule_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::collector;
  const std::string input(reinterpret_cast<const char*>(data), size);
  RuleSources sources;
  RuleFile* files[] = {&sources.worms, &sources.detection, &sources.site};
  const char* names[] = {"worms.textproto", "detection.textproto", "site.textproto"};
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    files[i]->path = names[i];
    if (start > input.size()) continue;
    size_t end = input.find("#=====", start);
    if (end == std::string::npos || i == 2) end = input.size();
    files[i]->text = input.substr(start, end - start);
    start = end + 6;
  }
  absl::StatusOr<RuleSet> rules = ParseRuleSet(sources);
  if (rules.ok()) {
    if (rules->digest.size() != 64) abort();
  } else {
    const size_t lines = RuleErrors(rules.status()).size();
    if (lines == 0 || lines > static_cast<size_t>(kMaxReportedErrors) + 1) abort();
  }
  return 0;
}
