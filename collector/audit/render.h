// The audit report for people: plain text that reads well pasted into a mail,
// and one self-contained HTML file (inline CSS, no scripts, prints well).
// Every string that came from an agent, a mail or a report is escaped in the
// HTML. Pure functions.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_RENDER_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_RENDER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "cleansweep/v1/audit.pb.h"

namespace cleansweep::collector {

std::string AuditText(const cleansweep::v1::AuditReport& report);
std::string AuditHtml(const cleansweep::v1::AuditReport& report);

// `text` with & < > " ' escaped for HTML element content and attributes.
std::string HtmlEscape(absl::string_view text);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_RENDER_H_
