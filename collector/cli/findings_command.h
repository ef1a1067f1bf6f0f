// `cleansweep-collector findings`: re-judges stored events of a time range
// with a rules directory (the same evaluation as the live detector) and
// prints the findings and each flagged host's verdict; `--live` prints what
// the running collector's live detector stored instead.
#ifndef CLEANSWEEP_COLLECTOR_CLI_FINDINGS_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_CLI_FINDINGS_COMMAND_H_

#include <string>

namespace cleansweep::collector {

struct FindingsConfig {
  std::string db_path;
  std::string rules_dir = "rules";
  std::string from;  // required; any form ParseTimeFlag takes
  std::string to;    // default: now
  bool json = false;
  bool live = false;
};

// Exit codes: 0 done (whatever was found), 1 the store could not be read,
// 2 bad usage or invalid rules.
int RunFindings(const FindingsConfig& config);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_FINDINGS_COMMAND_H_
