#include "collector/dmarc/sniff.h"

#include "absl/strings/str_format.h"

namespace cleansweep::collector::dmarc {
namespace {

bool StartsWith(absl::string_view s, absl::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 5322 field name: printable ASCII except ':' (and space), then ':'.
// Mail servers do not put white space before the colon, but some old ones
// did; allow it as the RFC's obsolete syntax does.
bool IsHeaderLine(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= 0x21 && s[i] <= 0x7e && s[i] != ':') ++i;
  if (i == 0) return false;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i < s.size() && s[i] == ':';
}

}  // namespace

Format SniffFormat(absl::string_view bytes) {
  if (StartsWith(bytes, "\x1f\x8b")) return Format::kGzip;
  if (StartsWith(bytes, "PK\x03\x04") || StartsWith(bytes, "PK\x05\x06")) return Format::kZip;
  // UTF-16 and UTF-32 XML starts with a byte order mark; libxml2 decodes it.
  if (StartsWith(bytes, "\xff\xfe") || StartsWith(bytes, "\xfe\xff")) return Format::kXml;
  absl::string_view rest = bytes;
  if (StartsWith(rest, "\xef\xbb\xbf")) rest.remove_prefix(3);
  size_t i = 0;
  while (i < rest.size() && IsSpace(rest[i])) ++i;
  if (i == rest.size()) return Format::kEmpty;
  rest.remove_prefix(i);
  if (rest[0] == '<') return Format::kXml;
  // Mail is checked on the untrimmed input: headers start at the first byte.
  if (StartsWith(bytes, "From ") || IsHeaderLine(bytes)) return Format::kMail;
  return Format::kUnknown;
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kEmpty:
      return "empty";
    case Format::kGzip:
      return "gzip";
    case Format::kZip:
      return "zip";
    case Format::kXml:
      return "XML";
    case Format::kMail:
      return "mail";
    case Format::kUnknown:
      break;
  }
  return "unknown";
}

std::string DescribeLeadingBytes(absl::string_view bytes) {
  std::string hex;
  std::string text;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (!hex.empty()) hex += ' ';
    hex += absl::StrFormat("%02x", c);
    text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  return absl::StrFormat("%s (%s)", hex, text);
}

}  // namespace cleansweep::collector::dmarc
