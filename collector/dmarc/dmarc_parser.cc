#include "collector/dmarc/dmarc_parser.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/dmarc/decompress.h"
#include "collector/dmarc/mail_parts.h"
#include "collector/dmarc/sniff.h"
#include "collector/dmarc/xml_report.h"

namespace cleansweep::collector::dmarc {
namespace {

absl::Status WithOrigin(const absl::Status& status, absl::string_view origin) {
  return absl::Status(status.code(), absl::StrCat(origin, ": ", status.message()));
}

// XML, or one gzip/zip layer holding XML. `in_archive`: this is already the
// content of an archive, so another archive is refused.
absl::StatusOr<DmarcReport> ParseDocument(absl::string_view bytes, const std::string& origin,
                                          bool in_archive, const DmarcLimits& limits) {
  const Format format = SniffFormat(bytes);
  switch (format) {
    case Format::kEmpty:
      return absl::InvalidArgumentError(absl::StrCat(origin, ": empty"));
    case Format::kXml: {
      absl::StatusOr<DmarcReport> report = ParseDmarcXml(bytes, limits);
      if (!report.ok()) return WithOrigin(report.status(), origin);
      report->origin = origin;
      return report;
    }
    case Format::kGzip:
    case Format::kZip: {
      if (in_archive) {
        return absl::InvalidArgumentError(
            absl::StrCat(origin, ": holds another ", FormatName(format),
                         " archive; only one level of archive is accepted"));
      }
      absl::StatusOr<Unpacked> unpacked =
          format == Format::kGzip ? Gunzip(bytes, limits) : UnzipReport(bytes, limits);
      if (!unpacked.ok()) return WithOrigin(unpacked.status(), origin);
      const std::string inner =
          format == Format::kGzip
              ? absl::StrCat(origin, ": gzip content")
              : absl::StrCat(origin, ": zip entry ", QuoteName(unpacked->entry_name));
      absl::StatusOr<DmarcReport> report = ParseDocument(unpacked->bytes, inner, true, limits);
      if (!report.ok()) return report.status();
      report->warnings.insert(report->warnings.begin(), unpacked->warnings.begin(),
                              unpacked->warnings.end());
      return report;
    }
    case Format::kMail:
    case Format::kUnknown:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(origin, ": not XML (starts with ", DescribeLeadingBytes(bytes), ")"));
}

absl::StatusOr<DmarcReport> ParseMail(absl::string_view bytes, const std::string& origin,
                                      const DmarcLimits& limits) {
  absl::StatusOr<MailParts> parts = FindReportParts(bytes, limits);
  if (!parts.ok()) return WithOrigin(parts.status(), origin);
  if (parts->candidates.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ": mail holds no DMARC aggregate report (", parts->leaf_parts,
        " part(s), none of them gzip, zip or XML",
        parts->feedback_report ? "; it is a feedback (ARF) report, e.g. a DMARC failure report"
                               : "",
        ")"));
  }
  absl::Status first_error;
  for (size_t i = 0; i < parts->candidates.size(); ++i) {
    const MailPart& part = parts->candidates[i];
    absl::StatusOr<DmarcReport> report =
        ParseDocument(part.bytes, absl::StrCat(origin, ": ", part.label), false, limits);
    if (report.ok()) {
      const size_t later = parts->candidates.size() - i - 1;
      if (later > 0) {
        report->warnings.push_back(
            absl::StrCat(later, " later mail part(s) that may hold reports not read"));
      }
      return report;
    }
    if (first_error.ok()) first_error = report.status();
  }
  if (parts->candidates.size() == 1) return first_error;
  return absl::Status(first_error.code(),
                      absl::StrCat(first_error.message(), " (and ", parts->candidates.size() - 1,
                                   " other part(s) that looked like reports failed too)"));
}

}  // namespace

absl::StatusOr<DmarcReport> ParseDmarcReport(absl::string_view bytes, absl::string_view source_name,
                                             const DmarcLimits& limits) {
  const std::string origin(source_name.empty() ? "(unnamed report)" : source_name);
  if (bytes.size() > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(origin, ": file is ", HumanBytes(bytes.size()), ", larger than the ",
                     HumanBytes(limits.max_input_bytes), " accepted"));
  }
  switch (SniffFormat(bytes)) {
    case Format::kEmpty:
      return absl::InvalidArgumentError(
          absl::StrCat(origin, bytes.empty() ? ": empty file" : ": file holds only white space"));
    case Format::kMail:
      return ParseMail(bytes, origin, limits);
    case Format::kUnknown:
      return absl::InvalidArgumentError(absl::StrCat(
          origin, ": not a DMARC report: neither XML, gzip, zip nor a mail (starts with ",
          DescribeLeadingBytes(bytes), ")"));
    default:
      return ParseDocument(bytes, origin, false, limits);
  }
}

absl::StatusOr<DmarcReport> ParseDmarcReportFile(const std::string& path,
                                                 const DmarcLimits& limits) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
  // refused as not a regular file); reads of regular files ignore the flag.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > limits.max_input_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": file is ", HumanBytes(static_cast<uint64_t>(st.st_size)),
                     ", larger than the ", HumanBytes(limits.max_input_bytes), " accepted"));
  }
  std::string bytes;
  bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": read failed: ", std::strerror(errno)));
    }
    if (n == 0) break;  // the file shrank while being read
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return ParseDmarcReport(bytes, path, limits);
}

}  // namespace cleansweep::collector::dmarc
