// Finds the parts of a mail that may carry a DMARC aggregate report: reporters
// mail the report as an attachment (application/zip, application/gzip,
// application/octet-stream, text/xml ...), usually base64-encoded, sometimes
// as the whole body of a single-part mail, sometimes inside a forwarded
// message (message/rfc822). Parsing is GMime's.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_MAIL_PARTS_H_
#define CLEANSWEEP_COLLECTOR_DMARC_MAIL_PARTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/dmarc/dmarc_report.h"

namespace cleansweep::collector::dmarc {

struct MailPart {
  std::string label;         // "attachment 'x.xml.gz'" or "part 2 (text/xml)"
  std::string content_type;  // lowercased "type/subtype"
  std::string bytes;         // content with the transfer encoding undone
};

struct MailParts {
  // Leaf parts whose content starts like gzip, zip or XML, in mail order;
  // text/html parts are not among them.
  std::vector<MailPart> candidates;
  int leaf_parts = 0;  // all leaf parts looked at
  // A message/feedback-report part was seen: the mail is a DMARC failure
  // (forensic) report or another ARF report, not an aggregate report.
  bool feedback_report = false;
};

// InvalidArgument if GMime cannot read a message from `mail`;
// ResourceExhausted beyond max_mime_parts leaf parts or max_mime_depth levels
// of multipart / message nesting. Thread-safe (GMime is initialised once).
absl::StatusOr<MailParts> FindReportParts(absl::string_view mail, const DmarcLimits& limits);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_MAIL_PARTS_H_
