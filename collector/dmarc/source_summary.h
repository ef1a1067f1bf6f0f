// What the audit states about DMARC: per source address, how many messages
// reporters saw using our domains, how they authenticated, what the receivers
// did with them, and whether the address is ours.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_SOURCE_SUMMARY_H_
#define CLEANSWEEP_COLLECTOR_DMARC_SOURCE_SUMMARY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "collector/detect/ip_address.h"
#include "collector/dmarc/dmarc_report.h"

namespace cleansweep::collector::dmarc {

// RFC 7489 3.1 identifier alignment of an authenticated domain with the
// RFC5322.From domain, case-insensitively and ignoring a trailing dot.
// Strict: the same domain. Relaxed: the same organizational domain; with no
// public suffix list at hand this is decided as "the same domain, or one is a
// subdomain of the other", which never calls unaligned domains aligned but
// misses siblings (a.example.com vs b.example.com). The reporter's own
// verdict, which used its list, is in policy_evaluated (see DmarcPass).
bool DomainsAligned(absl::string_view header_from, absl::string_view auth_domain, bool strict);

// The reporter's DMARC verdict for a record: aligned DKIM or aligned SPF passed
// (policy_evaluated dkim or spf is "pass").
bool DmarcPass(const Record& record);

struct SourceSummary {
  std::string source;                // canonical address ("2001:db8::1"), or the text as reported
  std::optional<IpAddress> address;  // nullopt if the report's text is not an address
  bool ours = false;                 // the caller's predicate said so (false without an address)
  uint64_t messages = 0;
  // From policy_evaluated, the reporter's evaluation:
  uint64_t dmarc_pass = 0;         // DKIM or SPF passed and aligned
  uint64_t dkim_aligned_pass = 0;  // policy_evaluated dkim = pass
  uint64_t spf_aligned_pass = 0;   // policy_evaluated spf = pass
  // From auth_results, the raw checks:
  uint64_t dkim_auth_pass = 0;  // some DKIM signature verified, for any domain
  uint64_t spf_auth_pass = 0;   // SPF passed, for any domain
  // Alignment recomputed here from auth_results and adkim/aspf (DomainsAligned):
  uint64_t dkim_aligned_computed = 0;
  uint64_t spf_aligned_computed = 0;             // mfrom (or unscoped) results only
  std::map<std::string, uint64_t> dispositions;  // "none"/"quarantine"/"reject" -> messages
  std::vector<std::string> header_from;          // lowercased, sorted, unique
  std::vector<std::string> reporters;            // org_name, sorted, unique
  int64_t first_begin = 0;  // earliest date_range.begin of the reports naming it
  int64_t last_end = 0;     // latest date_range.end
};

struct DmarcSummary {
  // Sorted by messages (most first), then by source.
  std::vector<SourceSummary> sources;
  size_t reports = 0;  // distinct reports summarised
  // Reports seen again (same org_name, report_id, policy domain and begin,
  // e.g. the .xml and the mail it came in) and not counted twice.
  size_t duplicate_reports = 0;
  uint64_t messages = 0;
  uint64_t messages_from_ours = 0;
};

// Pure. `is_ours` is asked once per distinct address, e.g. "is this one of our
// public egress addresses or mail servers". Filter `reports` beforehand to
// the domains of interest (policy_published.domain). Counts saturate at
// UINT64_MAX rather than wrap.
DmarcSummary SummarizeBySource(absl::Span<const DmarcReport> reports,
                               absl::FunctionRef<bool(const IpAddress&)> is_ours);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_SOURCE_SUMMARY_H_
