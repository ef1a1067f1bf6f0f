// Tells the container formats a DMARC aggregate report arrives in apart by
// their first bytes, never by file name: reporters name files inconsistently
// and mail parts often say application/octet-stream.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_SNIFF_H_
#define CLEANSWEEP_COLLECTOR_DMARC_SNIFF_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cleansweep::collector::dmarc {

enum class Format {
  kEmpty,  // no bytes, or only white space
  kGzip,   // 1f 8b
  kZip,    // "PK" local file header or empty-archive end record
  kXml,    // optional BOM and white space, then '<'
  kMail,   // an RFC 5322 header line (or an mbox "From " line) first
  kUnknown,
};

Format SniffFormat(absl::string_view bytes);
const char* FormatName(Format format);

// The first up to 8 bytes as hex plus their printable ASCII, for messages
// about content that is none of the formats: "25 50 44 46 2d 31 2e 34 (%PDF-1.4)".
std::string DescribeLeadingBytes(absl::string_view bytes);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_SNIFF_H_
