// Unpacks the two archive formats DMARC reporters use: gzip (RFC 1952, the
// report as one file) and zip (one XML file in the archive). Every output is
// capped (DmarcLimits::max_expanded_bytes and max_compression_ratio) while it
// is produced, never by trusting sizes stated in headers, so a zip or gzip
// bomb stops after at most the cap and one buffer.
//
// Errors are plain messages without the file name; the caller prefixes the
// origin. InvalidArgument for damaged or unsupported data, ResourceExhausted
// when a cap is hit.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_DECOMPRESS_H_
#define CLEANSWEEP_COLLECTOR_DMARC_DECOMPRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/dmarc/dmarc_report.h"

namespace cleansweep::collector::dmarc {

struct Unpacked {
  std::string bytes;
  std::string entry_name;             // zip: the entry read; gzip: ""
  std::vector<std::string> warnings;  // trailing bytes ignored, entries skipped
};

// All gzip members, concatenated (RFC 1952 allows several). Bytes after the
// last member that do not start another one are ignored with a warning
// (Mimecast appends a CRLF).
absl::StatusOr<Unpacked> Gunzip(absl::string_view data, const DmarcLimits& limits);

// The report inside a zip archive: the first entry whose name ends in ".xml",
// or else the first file entry; directories and macOS metadata ("__MACOSX/",
// "._*") are skipped. Refuses archives with more than max_zip_entries entries
// and encrypted entries.
absl::StatusOr<Unpacked> UnzipReport(absl::string_view data, const DmarcLimits& limits);

// "64 MiB", "1.5 KiB": sizes in messages.
std::string HumanBytes(uint64_t bytes);

// A name from untrusted data made safe to print: control bytes become '?',
// long names are cut with "...", and the result is single-quoted.
std::string QuoteName(absl::string_view name);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_DECOMPRESS_H_
