// Fuzzes ParseDmarcReport with whole files: XML, gzip, zip and mails alike
// (the format is sniffed from the bytes). Any input must give a report within
// the caps or an error that names the source, never a crash, a hang or an
// allocation beyond the caps; a report must also summarise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "collector/dmarc/dmarc_parser.h"
#include "collector/dmarc/source_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::collector::dmarc;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  DmarcLimits limits;
  // Smaller caps keep each run fast; the code paths are the same.
  limits.max_expanded_bytes = size_t{4} << 20;
  limits.ratio_floor_bytes = size_t{64} << 10;
  absl::StatusOr<DmarcReport> report = ParseDmarcReport(bytes, "fuzz-input", limits);
  if (!report.ok()) {
    if (!absl::StartsWith(report.status().message(), "fuzz-input")) abort();
    return 0;
  }
  if (!absl::StartsWith(report->origin, "fuzz-input")) abort();
  if (report->records.size() > limits.max_records) abort();
  if (report->policy_published.domain.empty()) abort();
  const DmarcSummary summary =
      SummarizeBySource(absl::MakeConstSpan(&*report, 1),
                        [](const cleansweep::collector::IpAddress& a) { return !a.ipv6; });
  if (summary.reports != 1) abort();
  uint64_t total = 0;
  bool overflow = false;
  for (const SourceSummary& s : summary.sources) {
    if (s.dmarc_pass > s.messages) abort();
    overflow = overflow || __builtin_add_overflow(total, s.messages, &total);
  }
  if (!overflow && summary.messages != total) abort();
  return 0;
}
