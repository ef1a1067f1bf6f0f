#include "collector/cli/findings_command.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collector/cli/cli_util.h"
#include "collector/cli/commands.h"
#include "collector/cli/rejudge.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/evaluate.h"
#include "collector/rules/rule_loader.h"
#include "common/time_util.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using cleansweep::v1::FindingReport;
using google::protobuf::util::TimeUtil;

std::string Time(const google::protobuf::Timestamp& t) {
  return FormatTimeUtc(absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t)));
}

std::string Window(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Seconds(d.seconds()));
}

// What a finding's numbers count, in words.
std::string Counted(const Finding& f) {
  switch (f.signal()) {
    case cleansweep::v1::SIGNAL_SMTP_EXTERNAL_DESTINATIONS:
      return "distinct external SMTP destinations";
    case cleansweep::v1::SIGNAL_SMTP_EXTERNAL_ATTEMPTS:
      return "SMTP connection attempts to external servers";
    case cleansweep::v1::SIGNAL_MX_LOOKUPS:
      return "distinct MX names looked up";
    case cleansweep::v1::SIGNAL_RCPT_COUNT:
      return "RCPT TO in directly delivered mail";
    case cleansweep::v1::SIGNAL_FORGED_OWN_DOMAIN_SENDER:
      return "directly sent transactions with MAIL FROM in our domains";
    case cleansweep::v1::SIGNAL_FAILED_CONNECTION_RATIO:
      return "failed connection attempts";
    case cleansweep::v1::SIGNAL_WORM_PORT_FANOUT:
      return "distinct addresses on one worm port";
    case cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER:
      return "backdoor ports listened on";
    case cleansweep::v1::SIGNAL_SWEEP_HOSTS_REDIRECT:
      return "protected names redirected in the hosts file";
    default:
      return "events";
  }
}

std::string Text(const FindingReport& r, const std::string& source) {
  std::string out = absl::StrCat("Findings from ", Time(r.from()), " to ", Time(r.to()), "\n",
                                 source, "\n\n");
  if (r.verdicts_size() == 0) {
    absl::StrAppend(&out, "No host matched any rule.\n");
    return out;
  }
  absl::StrAppendFormat(&out, "%-40s %-20s %-14s %s\n", "HOST", "AGENT", "VERDICT", "FINDINGS");
  for (const auto& v : r.verdicts()) {
    absl::StrAppendFormat(&out, "%-40s %-20s %-14s %d\n", v.host(), v.agent_id(),
                          SeverityName(v.severity()), v.findings());
  }
  for (const Finding& f : r.findings()) {
    absl::StrAppend(&out, "\n", f.host(), "  ", SeverityName(f.severity()), "  ", f.rule(), "\n");
    if (f.signal() == cleansweep::v1::SIGNAL_FAILED_CONNECTION_RATIO) {
      absl::StrAppendFormat(&out, "  %d of %d connection attempts failed over the episode "
                                  "(rule: >= %d attempts, >= %.0f%% failed, in %s)\n",
                            f.failed(), f.attempts(), f.threshold(), f.min_ratio() * 100,
                            Window(f.window()));
    } else if (IsSweepSignal(f.signal())) {
      absl::StrAppend(&out, "  ", f.peak(), " ", Counted(f), " in one sweep answer (threshold ",
                      f.threshold(), "); ", f.total(), " answer(s) found it, less than ",
                      Window(f.window()), " apart\n");
    } else {
      absl::StrAppend(&out, "  ", f.peak(), " ", Counted(f), " in one ", Window(f.window()),
                      " window (threshold ", f.threshold(), "); ", f.total(),
                      " over the whole episode\n");
    }
    absl::StrAppend(&out, "  first ", Time(f.first_time()), "  fired ", Time(f.fired_time()),
                    "  last ", Time(f.last_time()), "\n");
    if (!f.description().empty()) absl::StrAppend(&out, "  ", f.description(), "\n");
    absl::StrAppend(&out, "  evidence:\n");
    for (const auto& e : f.evidence()) {
      if (!e.sweep_id().empty()) {  // the summary names the sweep
        absl::StrAppend(&out, "    ", Time(e.time()), "  ", e.agent_id(), "  ", e.summary(), "\n");
        continue;
      }
      absl::StrAppend(&out, "    ", Time(e.time()), "  ", e.agent_id(), " #", e.sequence(), "  ",
                      e.summary().empty() ? "(event no longer stored)" : e.summary(), "\n");
    }
  }
  return out;
}

}  // namespace

int RunFindings(const FindingsConfig& config) {
  const absl::Time now = absl::Now();
  absl::StatusOr<absl::Time> from = ParseTimeFlag(config.from, now);
  if (!from.ok()) return Usage(absl::StrCat("--from: ", from.status().message()));
  absl::StatusOr<absl::Time> to = config.to.empty() ? now : ParseTimeFlag(config.to, now);
  if (!to.ok()) return Usage(absl::StrCat("--to: ", to.status().message()));
  if (*to < *from) return Usage("--to is before --from");

  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());

  FindingReport report;
  std::string source;
  if (config.live) {
    absl::StatusOr<std::vector<Finding>> stored = (*store)->ListFindings(*from, *to);
    if (!stored.ok()) return Fail(stored.status().message());
    *report.mutable_from() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(*from));
    *report.mutable_to() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(*to));
    SortFindings(&*stored);
    for (Finding& f : *stored) {
      DescribeEvidence(**store, &f);
      *report.add_findings() = std::move(f);
    }
    FillVerdicts(&report);
    source = "As judged live by the collector (stored findings).";
  } else {
    absl::StatusOr<RuleSet> loaded = LoadRuleSet(config.rules_dir);
    if (!loaded.ok()) {
      std::fprintf(stderr, "cleansweep-collector: the rules in %s are not valid:\n",
                   config.rules_dir.c_str());
      for (const std::string& line : RuleErrors(loaded.status())) {
        std::fprintf(stderr, "  %s\n", line.c_str());
      }
      std::fprintf(stderr, "Run `cleansweep-collector rules check %s` after fixing them.\n",
                   config.rules_dir.c_str());
      return kExitUsage;
    }
    auto compiled = CompileRules(std::make_shared<const RuleSet>(std::move(*loaded)));
    if (!compiled.ok()) return Fail(compiled.status().message());
    const bool tty = isatty(STDERR_FILENO);
    RejudgeStats stats;
    absl::StatusOr<FindingReport> judged = Rejudge(
        **store, *compiled, *from, *to,
        [tty](uint64_t n) {
          if (tty) std::fprintf(stderr, "\r  %llu events read…", static_cast<unsigned long long>(n));
        },
        &stats);
    if (tty) std::fprintf(stderr, "\r");
    if (!judged.ok()) return Fail(judged.status().message());
    report = std::move(*judged);
    const double seconds = absl::ToDoubleSeconds(stats.elapsed);
    std::fprintf(stderr, "re-judged %llu events in %.3f s (%.0f events/s) with rules %s\n",
                 static_cast<unsigned long long>(stats.events), seconds,
                 seconds > 0 ? static_cast<double>(stats.events) / seconds : 0.0,
                 report.rules_digest().c_str());
    source = absl::StrCat("Re-judged with the rules in ", config.rules_dir, " (digest ",
                          report.rules_digest().substr(0, 16), "…): ", report.events_judged(),
                          " events of ", report.hosts_judged(), " internal hosts and ",
                          report.sweep_answers_judged(),
                          " sweep answer(s) that found something, including one window before "
                          "the start.");
  }

  if (config.json) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    auto st = google::protobuf::util::MessageToJsonString(report, &json, options);
    if (!st.ok()) return Fail(st.ToString());
    std::printf("%s\n", json.c_str());
  } else {
    std::fputs(Text(report, source).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace cleansweep::collector
