// `serve --rules DIR`: what a running collector does with its rules
// directory. The rules in force live in a RulesHolder; each successful reload
// derives the capture configuration (DeriveCaptureConfig, with the serve
// flags' overrides) and publishes it to every connected agent stream through
// a CaptureConfigBroadcast. No gRPC here; RunServe wires it and calls
// ReloadRulesAndLog when SIGHUP arrives.
//
// Log lines (stderr, common/logging.h):
//   success: "rules reloaded: digest D, N rules, F worm families"
//            "capture configuration pushed to K agent stream(s): ..."
//   failure: "rules reload failed; keeping rules D:" then each error line
//            ("  FILE:LINE:COLUMN: ..."), one record per line.
#ifndef CLEANSWEEP_COLLECTOR_CLI_SERVE_RULES_H_
#define CLEANSWEEP_COLLECTOR_CLI_SERVE_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "collector/rules/rule_loader.h"
#include "collector/rules/rules_holder.h"
#include "collector/service/capture_config.h"
#include "collector/service/capture_config_broadcast.h"

namespace cleansweep::collector {

// "digest D, N rules, F worm families, site S". Pure.
std::string RulesSummary(const RuleSet& rules);

// "SMTP ports 25,465; 86 worm ports (tcp:31337, ...); DNS qtypes 15". Pure.
std::string CaptureConfigSummary(const cleansweep::v1::CaptureConfig& config);

// From now on every successful reload of `holder` publishes
// DeriveCaptureConfig(new rules, overrides) on `broadcast` and logs how many
// streams it reached. Both are borrowed and must outlive the holder's reloads.
void PushCaptureConfigOnReload(RulesHolder* holder, CaptureConfigBroadcast* broadcast,
                               CaptureConfigOverrides overrides);

// Reloads `holder` and logs the outcome (see above). Returns Reload()'s status.
absl::Status ReloadRulesAndLog(RulesHolder* holder);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_SERVE_RULES_H_
