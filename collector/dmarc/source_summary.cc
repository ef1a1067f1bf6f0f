#include "collector/dmarc/source_summary.h"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cleansweep::collector::dmarc {
namespace {

std::string NormalDomain(absl::string_view domain) {
  std::string d = absl::AsciiStrToLower(absl::StripAsciiWhitespace(domain));
  while (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

void Add(uint64_t& total, uint64_t n) {
  total = n > std::numeric_limits<uint64_t>::max() - total ? std::numeric_limits<uint64_t>::max()
                                                           : total + n;
}

bool IsSubdomain(absl::string_view child, absl::string_view parent) {
  return child.size() > parent.size() + 1 && absl::EndsWith(child, parent) &&
         child[child.size() - parent.size() - 1] == '.';
}

struct Accumulator {
  SourceSummary summary;
  std::set<std::string> header_from;
  std::set<std::string> reporters;
  bool dated = false;
};

}  // namespace

bool DomainsAligned(absl::string_view header_from, absl::string_view auth_domain, bool strict) {
  const std::string from = NormalDomain(header_from);
  const std::string auth = NormalDomain(auth_domain);
  if (from.empty() || auth.empty()) return false;
  if (from == auth) return true;
  if (strict) return false;
  return IsSubdomain(from, auth) || IsSubdomain(auth, from);
}

bool DmarcPass(const Record& record) {
  return record.row.policy_evaluated.dkim == "pass" || record.row.policy_evaluated.spf == "pass";
}

DmarcSummary SummarizeBySource(absl::Span<const DmarcReport> reports,
                               absl::FunctionRef<bool(const IpAddress&)> is_ours) {
  DmarcSummary out;
  absl::flat_hash_set<std::string> seen_reports;
  absl::flat_hash_map<std::string, Accumulator> by_source;
  for (const DmarcReport& report : reports) {
    const ReportMetadata& meta = report.report_metadata;
    if (!meta.report_id.empty()) {
      std::string key =
          absl::StrCat(absl::AsciiStrToLower(meta.org_name), "\n", meta.report_id, "\n",
                       NormalDomain(report.policy_published.domain), "\n", meta.date_range.begin);
      if (!seen_reports.insert(std::move(key)).second) {
        ++out.duplicate_reports;
        continue;
      }
    }
    ++out.reports;
    const bool dkim_strict = report.policy_published.adkim.value_or("r") == "s";
    const bool spf_strict = report.policy_published.aspf.value_or("r") == "s";
    for (const Record& record : report.records) {
      std::optional<IpAddress> address = ParseIpAddress(record.row.source_ip);
      const std::string key = address ? address->ToString() : record.row.source_ip;
      auto [it, inserted] = by_source.try_emplace(key);
      Accumulator& acc = it->second;
      SourceSummary& s = acc.summary;
      if (inserted) {
        s.source = key;
        s.address = address;
        s.ours = address.has_value() && is_ours(*address);
      }
      const uint64_t n = record.row.count;
      Add(s.messages, n);
      Add(out.messages, n);
      if (s.ours) Add(out.messages_from_ours, n);
      if (DmarcPass(record)) Add(s.dmarc_pass, n);
      if (record.row.policy_evaluated.dkim == "pass") Add(s.dkim_aligned_pass, n);
      if (record.row.policy_evaluated.spf == "pass") Add(s.spf_aligned_pass, n);
      const std::string& from = record.identifiers.header_from;
      bool dkim_pass = false, dkim_aligned = false;
      for (const DkimAuthResult& d : record.auth_results.dkim) {
        if (d.result != "pass") continue;
        dkim_pass = true;
        dkim_aligned = dkim_aligned || DomainsAligned(from, d.domain, dkim_strict);
      }
      bool spf_pass = false, spf_aligned = false;
      for (const SpfAuthResult& r : record.auth_results.spf) {
        if (r.result != "pass") continue;
        spf_pass = true;
        if (r.scope.has_value() && !r.scope->empty() && *r.scope != "mfrom") continue;
        spf_aligned = spf_aligned || DomainsAligned(from, r.domain, spf_strict);
      }
      if (dkim_pass) Add(s.dkim_auth_pass, n);
      if (spf_pass) Add(s.spf_auth_pass, n);
      if (dkim_aligned) Add(s.dkim_aligned_computed, n);
      if (spf_aligned) Add(s.spf_aligned_computed, n);
      const std::string& disposition = record.row.policy_evaluated.disposition;
      Add(s.dispositions[disposition.empty() ? "unknown" : disposition], n);
      if (!from.empty()) acc.header_from.insert(NormalDomain(from));
      if (!meta.org_name.empty()) acc.reporters.insert(meta.org_name);
      if (!acc.dated || meta.date_range.begin < s.first_begin)
        s.first_begin = meta.date_range.begin;
      if (!acc.dated || meta.date_range.end > s.last_end) s.last_end = meta.date_range.end;
      acc.dated = true;
    }
  }
  out.sources.reserve(by_source.size());
  for (auto& [key, acc] : by_source) {
    acc.summary.header_from.assign(acc.header_from.begin(), acc.header_from.end());
    acc.summary.reporters.assign(acc.reporters.begin(), acc.reporters.end());
    out.sources.push_back(std::move(acc.summary));
  }
  std::sort(out.sources.begin(), out.sources.end(),
            [](const SourceSummary& a, const SourceSummary& b) {
              return std::tie(b.messages, a.source) < std::tie(a.messages, b.source);
            });
  return out;
}

}  // namespace cleansweep::collector::dmarc
