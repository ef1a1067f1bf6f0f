#include "collector/audit/dmarc_section.h"

#include "absl/strings/str_cat.h"
#include "collector/dmarc/dmarc_parser.h"
#include "collector/dmarc/source_summary.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {

absl::StatusOr<cleansweep::v1::DmarcSection> BuildDmarcSection(
    const std::vector<std::string>& paths, const CompiledRules& rules) {
  cleansweep::v1::DmarcSection out;
  std::vector<dmarc::DmarcReport> ours;
  for (const std::string& path : paths) {
    absl::StatusOr<dmarc::DmarcReport> report = dmarc::ParseDmarcReportFile(path);
    if (!report.ok()) return report.status();
    for (const std::string& w : report->warnings) out.add_warnings(absl::StrCat(path, ": ", w));
    const std::string& domain = report->policy_published.domain;
    const std::string label = absl::StrCat(path, " (", report->report_metadata.org_name,
                                           ", report ", report->report_metadata.report_id,
                                           ", domain ", domain, ")");
    if (!rules.IsOwnDomain(domain)) {
      out.add_skipped(absl::StrCat(label, ": not one of our mail domains"));
      continue;
    }
    out.add_reports(label);
    ours.push_back(*std::move(report));
  }
  dmarc::DmarcSummary summary = dmarc::SummarizeBySource(
      ours, [&rules](const IpAddress& a) { return rules.ours.Contains(a); });
  out.set_duplicate_reports(static_cast<uint32_t>(summary.duplicate_reports));
  out.set_messages(summary.messages);
  out.set_messages_from_ours(summary.messages_from_ours);
  for (const dmarc::SourceSummary& s : summary.sources) {
    cleansweep::v1::DmarcSourceSummary* d = out.add_sources();
    d->set_source_ip(s.source);
    d->set_ours(s.ours);
    d->set_messages(s.messages);
    d->set_dmarc_pass(s.dmarc_pass);
    d->set_dkim_aligned_pass(s.dkim_aligned_pass);
    d->set_spf_aligned_pass(s.spf_aligned_pass);
    for (const auto& [disposition, n] : s.dispositions) (*d->mutable_dispositions())[disposition] = n;
    for (const std::string& h : s.header_from) d->add_header_from(h);
    for (const std::string& r : s.reporters) d->add_reporters(r);
    *d->mutable_begin() = google::protobuf::util::TimeUtil::SecondsToTimestamp(s.first_begin);
    *d->mutable_end() = google::protobuf::util::TimeUtil::SecondsToTimestamp(s.last_end);
  }
  return out;
}

}  // namespace cleansweep::collector
