#include "collector/cli/serve_rules.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace cleansweep::collector {
namespace {

// "82,135,3127-3198": numbers ascending, runs folded, so that the log line
// stays short for the 86 default worm ports.
std::string PortRuns(std::vector<uint32_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::vector<std::string> runs;
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) ++j;
    runs.push_back(j == i ? absl::StrCat(ports[i]) : absl::StrCat(ports[i], "-", ports[j]));
    i = j + 1;
  }
  return runs.empty() ? "none" : absl::StrJoin(runs, ",");
}

}  // namespace

std::string RulesSummary(const RuleSet& rules) {
  return absl::StrCat("digest ", rules.digest, ", ", rules.detection.rule_size(), " rules, ",
                      rules.worms.family_size(), " worm families, site ", rules.site.name());
}

std::string CaptureConfigSummary(const cleansweep::v1::CaptureConfig& config) {
  std::vector<uint32_t> tcp, udp;
  for (const auto& p : config.worm_ports()) {
    (p.transport() == cleansweep::v1::TRANSPORT_UDP ? udp : tcp).push_back(p.port());
  }
  return absl::StrCat(
      "SMTP ports ",
      PortRuns(std::vector<uint32_t>(config.smtp_ports().begin(), config.smtp_ports().end())),
      "; worm ports tcp ", PortRuns(tcp), " udp ", PortRuns(udp), "; DNS qtypes ",
      PortRuns(std::vector<uint32_t>(config.dns_qtypes().begin(), config.dns_qtypes().end())));
}

void PushCaptureConfigOnReload(RulesHolder* holder, CaptureConfigBroadcast* broadcast,
                               CaptureConfigOverrides overrides) {
  holder->Subscribe(
      [broadcast, overrides = std::move(overrides)](std::shared_ptr<const RuleSet> rules) {
        const cleansweep::v1::CaptureConfig config = DeriveCaptureConfig(*rules, overrides);
        const bool changed = config.SerializeAsString() != broadcast->Current().SerializeAsString();
        // Published even when unchanged: agents ignore a configuration equal to
        // theirs, and "pushed" then always means every stream has this one.
        const size_t streams = broadcast->Publish(config);
        LOG_INFO("capture configuration%s pushed to %d agent stream(s): %s",
                 changed ? "" : " (unchanged)", streams, CaptureConfigSummary(config));
      });
}

absl::Status ReloadRulesAndLog(RulesHolder* holder) {
  const std::string old_digest = holder->Current()->digest;
  absl::Status reloaded = holder->Reload();
  if (!reloaded.ok()) {
    LOG_WARNING("rules reload failed; keeping rules %s:", old_digest);
    for (const std::string& line : RuleErrors(reloaded)) LOG_WARNING("  %s", line);
    return reloaded;
  }
  // Subscribers (the capture configuration push) have run by now; this line
  // comes last so that whoever waits for it sees everything done.
  std::shared_ptr<const RuleSet> now = holder->Current();
  LOG_INFO("rules reloaded: digest %s, %d rules, %d worm families%s", now->digest,
           now->detection.rule_size(), now->worms.family_size(),
           now->digest == old_digest ? " (unchanged)" : "");
  return absl::OkStatus();
}

}  // namespace cleansweep::collector
