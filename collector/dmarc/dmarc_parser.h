// Reading DMARC aggregate reports as they arrive: plain XML, gzip, zip, or a
// mail with the report attached. This is the entry point of collector/dmarc;
// the audit (`cleansweep-collector audit --dmarc FILE`) calls it once per file.
//
// What is accepted
//   - XML per RFC 7489 appendix C, RFC 9990 (namespaced or not), and the older
//     draft forms; see xml_report.h for what is tolerated and how.
//   - gzip (several members allowed, trailing junk ignored) or zip (the first
//     .xml entry, else the first file) holding that XML.
//   - a mail (RFC 5322, MIME) whose first part that holds gzip, zip or XML and
//     parses as a report is used; single-part mails whose body is the report,
//     and reports inside forwarded messages, are found too.
//   Formats are recognised by content, not by name. One archive level only: a
//   gzip or zip inside a gzip or zip is refused.
//
// Contract
//   - Pure: no I/O (except ParseDmarcReportFile), no global state besides the
//     one-time libxml2/GMime initialisation; thread-safe.
//   - Never crashes, never hangs, never allocates beyond the caps in
//     DmarcLimits (plus a small constant factor): zip/gzip bombs, deep XML,
//     entity tricks and huge files end in an error.
//   - Errors (absl::Status, never exceptions) start with `source_name` and say
//     where it broke and why, e.g.
//       "r.xml: line 5, column 18: error parsing attribute name (not well-formed XML; ...)"
//       "bomb.zip: zip entry 'a.xml' expands beyond 64 MiB"
//       "EMPTY__empty.xml: empty file"
//     InvalidArgument for input that is not a (readable) report,
//     ResourceExhausted when a cap refused it, NotFound/PermissionDenied for
//     files that cannot be opened.
//   - On success the report's `origin` names the file and each layer
//     unwrapped, and `warnings` lists everything tolerated on the way.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_DMARC_PARSER_H_
#define CLEANSWEEP_COLLECTOR_DMARC_DMARC_PARSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/dmarc/dmarc_report.h"

namespace cleansweep::collector::dmarc {

// `bytes` is the whole file; `source_name` is used in messages and `origin`.
absl::StatusOr<DmarcReport> ParseDmarcReport(absl::string_view bytes, absl::string_view source_name,
                                             const DmarcLimits& limits = DmarcLimits());

// Reads `path` (refusing, before reading, a file larger than
// limits.max_input_bytes or one that is not a regular file) and parses it with
// the path as source name.
absl::StatusOr<DmarcReport> ParseDmarcReportFile(const std::string& path,
                                                 const DmarcLimits& limits = DmarcLimits());

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_DMARC_PARSER_H_
