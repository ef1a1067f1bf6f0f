// The machine-readable part of an abuse report in the Abuse Reporting
// Format (RFC 5965; RFC 6591 for auth-failure reports): the fields of a
// message/feedback-report part.
//
// ParseFeedbackReport reads the part's decoded content as a header block
// (header_block.h). Values are kept as written (unfolded, trimmed); only
// the fields below are interpreted. Pure, thread-safe; fails only with the
// header-block errors (a line or block over the limits).
#ifndef CLEANSWEEP_COLLECTOR_MAIL_FEEDBACK_REPORT_H_
#define CLEANSWEEP_COLLECTOR_MAIL_FEEDBACK_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/detect/ip_address.h"
#include "collector/mail/auth_results.h"
#include "collector/mail/header_block.h"

namespace cleansweep::collector::mail {

struct FeedbackReport {
  std::string feedback_type;  // lower case: "abuse", "auth-failure", "fraud", "not-spam", ...
  std::string user_agent;
  std::string version;
  std::string original_mail_from;             // as written, e.g. "<a@example.net>"
  std::vector<std::string> original_rcpt_to;  // as written, every Original-Rcpt-To
  std::string original_envelope_id;
  // Arrival-Date, or the older Received-Date when there is none.
  std::string arrival_date_text;
  std::optional<absl::Time> arrival_date;  // empty when absent or malformed
  std::string reporting_mta;               // the name, without the "dns;" type
  std::string source_ip_text;              // as written, e.g. "192.0.2.1 (host.example)"
  std::optional<IpAddress> source_ip;      // its address, empty if it has none
  std::vector<std::string> reported_domains;
  std::vector<std::string> reported_uris;
  std::vector<std::string> authentication_results;  // raw values
  std::vector<AuthResult> auth_results;             // the same, parsed
  std::string auth_failure;                         // RFC 6591: "bodyhash", "dmarc", ...
  std::string delivery_result;
  std::string dkim_domain;
  std::string dkim_identity;
  std::string dkim_selector;
  std::string identity_alignment;
  int incidents = 1;
  std::vector<HeaderField> fields;  // every field, in order
};

absl::StatusOr<FeedbackReport> ParseFeedbackReport(absl::string_view content);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_FEEDBACK_REPORT_H_
