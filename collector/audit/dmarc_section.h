// The audit's DMARC section: aggregate reports (any form ParseDmarcReport
// takes) about our mail domains, summarised per sending address, each marked
// ours or not (CompiledRules::ours). Reports about other domains are listed
// as skipped. The first file that cannot be read fails the whole call with
// the parser's message (the audit exits 3).
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_DMARC_SECTION_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_DMARC_SECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cleansweep/v1/audit.pb.h"
#include "collector/detect/compiled_rules.h"

namespace cleansweep::collector {

absl::StatusOr<cleansweep::v1::DmarcSection> BuildDmarcSection(
    const std::vector<std::string>& paths, const CompiledRules& rules);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_DMARC_SECTION_H_
