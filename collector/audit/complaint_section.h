// The audit's analysis of one complaint mail: the original message found in
// it (collector/mail ParseComplaint), its Received chain with the trust
// boundary (FindOrigin), the authentication results, and the decision:
//   - origin not ours: "the message entered the recipient's system from X,
//     which is not ours";
//   - origin ours (public egress, mail server or relay): the internal hosts
//     that sent SMTP around the message's time (± skew) — directly to the
//     Internet when the origin is our egress, to that relay or mail server
//     when it is one — are named as suspects with those sessions as evidence.
// The message's time is the entry hop's date, else the ARF Arrival-Date,
// else its Date header. coverage_gap_at_time is set when an expected host of
// `coverage` has a gap overlapping that time ± skew.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_COMPLAINT_SECTION_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_COMPLAINT_SECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cleansweep/v1/audit.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct ComplaintInputs {
  const CompiledRules* rules = nullptr;
  std::vector<std::string> trusted;  // --trusted specs
  absl::Duration skew = absl::Minutes(10);
  const cleansweep::v1::CoverageSection* coverage = nullptr;
};

// InvalidArgument/NotFound naming the file (or a bad --trusted spec) when it
// cannot be used; the audit exits 3.
absl::StatusOr<cleansweep::v1::ComplaintAnalysis> AnalyzeComplaint(const std::string& path,
                                                                   const ComplaintInputs& in,
                                                                   EventStore& store);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_COMPLAINT_SECTION_H_
