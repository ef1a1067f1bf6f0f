#include "collector/cli/audit_command.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/audit/complaint_section.h"
#include "collector/audit/dmarc_section.h"
#include "collector/audit/egress.h"
#include "collector/audit/render.h"
#include "collector/audit/seal.h"
#include "collector/audit/sweep_section.h"
#include "collector/audit/verdict.h"
#include "collector/cli/cli_util.h"
#include "collector/cli/format.h"
#include "collector/cli/hosts_commands.h"
#include "collector/cli/rejudge.h"
#include "collector/detect/compiled_rules.h"
#include "collector/rules/rule_loader.h"
#include "common/time_util.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AuditReport;
using google::protobuf::util::TimeUtil;

int Bad(absl::string_view message) {
  std::fprintf(stderr, "cleansweep-collector audit: %s\n", std::string(message).c_str());
  return kAuditBadInput;
}

google::protobuf::Timestamp Proto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::StatusOr<std::string> ReadAll(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot be read"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FillCoverage(const std::vector<HostRow>& rows, double required, AuditReport* report) {
  cleansweep::v1::CoverageSection* cov = report->mutable_coverage();
  cov->set_required_fraction(required);
  bool any_inventory = false;
  for (const HostRow& r : rows) any_inventory |= r.in_inventory;
  uint32_t expected = 0, whole = 0, partly = 0, never = 0;
  for (const HostRow& r : rows) {
    cleansweep::v1::HostCoverage* h = cov->add_hosts();
    h->set_hostname(r.hostname);
    h->set_agent_id(r.agent_id);
    h->set_in_inventory(r.in_inventory);
    h->set_covered_fraction(r.coverage.fraction);
    const bool is_whole = r.coverage.gaps.empty() && r.coverage.fraction > 0;
    const bool is_never = r.coverage.covered == absl::ZeroDuration();
    h->set_watched(is_whole ? "whole" : is_never ? "never" : "partial");
    for (const CoverageGap& g : r.coverage.gaps) {
      cleansweep::v1::CoverageGapRecord* gap = h->add_gaps();
      *gap->mutable_start() = Proto(g.start);
      *gap->mutable_end() = Proto(g.end);
    }
    h->set_capture_received(r.loss.received);
    h->set_capture_dropped(r.loss.dropped);
    h->set_capture_interface_dropped(r.loss.interface_dropped);
    h->set_lost_event_gaps(r.gaps.gaps);
    h->set_lost_events(r.gaps.missing);
    for (const std::string& a : r.addresses) h->add_addresses(a);
    // Without an inventory every host that reported is expected.
    if (any_inventory && !r.in_inventory) continue;
    ++expected;
    if (is_whole) {
      ++whole;
    } else if (is_never) {
      ++never;
    } else {
      ++partly;
    }
  }
  cov->set_expected(expected);
  cov->set_watched_whole(whole);
  cov->set_watched_partly(partly);
  cov->set_never(never);
  cov->set_covered_fraction(expected == 0 ? 0.0 : static_cast<double>(whole) / expected);
}

}  // namespace

// One progress line on stderr per step of the audit, with the time it took,
// so an administrator waiting on a big store sees where it is.
class Steps {
 public:
  void Done(absl::string_view what) {
    const absl::Time t = absl::Now();
    std::fprintf(stderr, "audit: %s (%.2f s)\n", std::string(what).c_str(),
                 absl::ToDoubleSeconds(t - last_));
    last_ = t;
  }

 private:
  absl::Time last_ = absl::Now();
};

int RunAudit(const AuditConfig& config) {
  const absl::Time now = absl::Now();
  Steps steps;
  absl::StatusOr<absl::Time> from = ParseTimeFlag(config.from, now);
  if (!from.ok()) return Bad(absl::StrCat("--from: ", from.status().message()));
  absl::StatusOr<absl::Time> to = config.to.empty() ? now : ParseTimeFlag(config.to, now);
  if (!to.ok()) return Bad(absl::StrCat("--to: ", to.status().message()));
  if (*to <= *from) return Bad("--to must be after --from");
  if (config.format != "text" && config.format != "json" && config.format != "html") {
    return Bad(absl::StrCat("--format must be text, json or html, not '", config.format, "'"));
  }
  if (config.audience != "internal" && config.audience != "external") {
    return Bad(absl::StrCat("--audience must be internal or external, not '", config.audience, "'"));
  }
  std::string signing_key;
  if (!config.signing_key.empty()) {
    absl::StatusOr<std::string> key = ReadAll(config.signing_key, "--signing-key");
    if (!key.ok()) return Bad(key.status().message());
    signing_key = *std::move(key);
  }

  absl::StatusOr<RuleSet> loaded = LoadRuleSet(config.rules_dir);
  if (!loaded.ok()) {
    std::fprintf(stderr, "cleansweep-collector audit: the rules in %s are not valid:\n",
                 config.rules_dir.c_str());
    for (const std::string& line : RuleErrors(loaded.status())) {
      std::fprintf(stderr, "  %s\n", line.c_str());
    }
    return kAuditBadInput;
  }
  auto set = std::make_shared<const RuleSet>(std::move(*loaded));
  absl::StatusOr<std::shared_ptr<const CompiledRules>> rules = CompileRules(set);
  if (!rules.ok()) return Bad(rules.status().message());

  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Bad(store.status().message());
  EventStore& s = **store;

  AuditReport report;
  report.set_site(set->site.name());
  *report.mutable_from() = Proto(*from);
  *report.mutable_to() = Proto(*to);
  report.set_audience("internal");
  report.set_rules_digest(set->digest);

  // Coverage is read on a connection of its own while the events are
  // re-judged on this one: the two mostly wait on different things (SQLite
  // pages vs. judging), and on a big store each takes about a second.
  absl::StatusOr<EventStorePtr> coverage_store = OpenForQuery(config.db_path);
  if (!coverage_store.ok()) return Bad(coverage_store.status().message());
  absl::StatusOr<std::vector<HostRow>> rows = absl::UnknownError("coverage not read");
  std::thread coverage_reader(
      [&] { rows = LoadHostRows(**coverage_store, *to, *to - *from); });

  // One pass over the window's events: the re-judging and the egress tally
  // read the same facts.
  EgressTally egress(*rules);
  absl::StatusOr<cleansweep::v1::FindingReport> findings = Rejudge(
      s, *rules, *from, *to, nullptr, nullptr,
      [&](absl::string_view agent, const HostFact& fact) { egress.AddFact(agent, fact); });
  coverage_reader.join();
  if (!rows.ok()) return Bad(absl::StrCat("reading ", config.db_path, ": ", rows.status().message()));
  if (!findings.ok()) {
    return Bad(absl::StrCat("reading ", config.db_path, ": ", findings.status().message()));
  }
  const double required = set->site.clean_coverage() > 0 ? set->site.clean_coverage() : 1.0;
  FillCoverage(*rows, required, &report);
  for (auto& e : egress.Hosts()) *report.add_egress() = std::move(e);
  steps.Done(absl::StrCat("coverage of ", report.coverage().expected(),
                          " expected hosts read; re-judged ", findings->events_judged(),
                          " events of ", findings->hosts_judged(), " hosts; ",
                          findings->findings_size(), " findings"));
  *report.mutable_findings() = *std::move(findings);
  absl::StatusOr<cleansweep::v1::SweepSection> sweeps =
      LoadSweepSection(s, **rules, report.coverage(), *from, *to, now);
  if (!sweeps.ok()) {
    return Bad(absl::StrCat("reading ", config.db_path, ": ", sweeps.status().message()));
  }
  *report.mutable_sweeps() = *std::move(sweeps);
  steps.Done(absl::StrCat(report.sweeps().sweeps_size(), " sweep(s) read"));

  absl::Duration skew;
  if (!absl::ParseDuration(config.skew, &skew) || skew < absl::ZeroDuration()) {
    return Bad(absl::StrCat("--skew: '", config.skew, "' is not a duration like 10m or 90s"));
  }
  ComplaintInputs complaint_inputs;
  complaint_inputs.rules = rules->get();
  complaint_inputs.trusted = config.trusted;
  complaint_inputs.skew = skew;
  complaint_inputs.coverage = &report.coverage();
  for (const std::string& path : config.complaints) {
    absl::StatusOr<cleansweep::v1::ComplaintAnalysis> c =
        AnalyzeComplaint(path, complaint_inputs, s);
    if (!c.ok()) return Bad(absl::StrCat("--complaint: ", c.status().message()));
    for (auto& suspect : *c->mutable_suspects()) {
      for (auto& ev : *suspect.mutable_evidence()) {
        absl::StatusOr<StoredEvent> se = s.GetEvent(ev.agent_id(), ev.sequence());
        if (se.ok()) ev.set_summary(EventSummary(se->event));
      }
    }
    *report.add_complaints() = *std::move(c);
  }
  if (!config.dmarc.empty()) {
    absl::StatusOr<cleansweep::v1::DmarcSection> dmarc = BuildDmarcSection(config.dmarc, **rules);
    if (!dmarc.ok()) return Bad(absl::StrCat("--dmarc: ", dmarc.status().message()));
    *report.mutable_dmarc() = *std::move(dmarc);
  }

  if (!config.complaints.empty() || !config.dmarc.empty()) {
    steps.Done(absl::StrCat(config.complaints.size(), " complaint(s) and ", config.dmarc.size(),
                            " DMARC report(s) read"));
  }
  if (config.audience == "external") RedactForExternal(&report);
  *report.mutable_verdict() = DecideVerdict(report);
  *report.mutable_generated_at() = Proto(now);
  if (absl::Status sealed = SealReport(signing_key, &report); !sealed.ok()) {
    return Bad(absl::StrCat("--signing-key ", config.signing_key, ": ", sealed.message()));
  }

  steps.Done("verdict decided and sealed");
  std::string rendered;
  if (config.format == "json") {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    if (!google::protobuf::util::MessageToJsonString(report, &rendered, options).ok()) {
      return Bad("the report cannot be printed as JSON");
    }
  } else if (config.format == "html") {
    rendered = AuditHtml(report);
  } else {
    rendered = AuditText(report);
  }
  steps.Done(absl::StrCat("report rendered as ", config.format));
  if (config.out.empty()) {
    std::fwrite(rendered.data(), 1, rendered.size(), stdout);
    std::fflush(stdout);
  } else {
    std::ofstream out(config.out, std::ios::binary | std::ios::trunc);
    out << rendered;
    if (!out.flush()) return Bad(absl::StrCat("--out ", config.out, ": cannot be written"));
    std::fprintf(stderr, "audit: %s; report written to %s\n", report.verdict().kind().c_str(),
                 config.out.c_str());
  }
  return report.verdict().exit_code();
}

int RunAuditVerify(const AuditVerifyConfig& config) {
  absl::StatusOr<std::string> text = ReadAll(config.report, "report");
  if (!text.ok()) return Bad(text.status().message());
  std::string pinned;
  if (!config.public_key.empty()) {
    absl::StatusOr<std::string> key = ReadAll(config.public_key, "--public-key");
    if (!key.ok()) return Bad(key.status().message());
    pinned = *std::move(key);
  }
  AuditReport report;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &report);
  if (!parsed.ok()) {
    return Bad(absl::StrCat(config.report, " is not an audit report in JSON (audit --format json): ",
                            parsed.ToString()));
  }
  bool was_signed = false;
  absl::Status ok = VerifyReport(report, pinned, &was_signed);
  if (!ok.ok()) {
    std::printf("NOT VERIFIED: %s: %s\n", config.report.c_str(), std::string(ok.message()).c_str());
    return 1;
  }
  std::printf("verified: %s: evidence digest %s matches%s\n", config.report.c_str(),
              report.evidence_sha256().c_str(),
              was_signed ? absl::StrCat("; Ed25519 signature valid (key ",
                                        report.signature().public_key(), ")").c_str()
                         : "; the report is not signed");
  return 0;
}

}  // namespace cleansweep::collector
