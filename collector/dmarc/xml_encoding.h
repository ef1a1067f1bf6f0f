// Byte-level repairs made before an XML report reaches libxml2: reporters
// declare UTF-8 (or nothing, which means UTF-8) and then write Windows-1252
// bytes into names. Like parsedmarc, the bytes that are not UTF-8 are dropped
// and the rest of the report is kept.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_XML_ENCODING_H_
#define CLEANSWEEP_COLLECTOR_DMARC_XML_ENCODING_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace cleansweep::collector::dmarc {

// The encoding named in the XML declaration (`<?xml ... encoding="x"?>` at the
// start, after an optional UTF-8 byte order mark), lowercased; "" if none.
std::string DeclaredXmlEncoding(absl::string_view xml);

// True if the document is to be read as UTF-8: no UTF-16/32 byte order mark and
// a declared encoding that is absent, "utf-8" or "utf8".
bool ReadAsUtf8(absl::string_view xml);

struct Utf8Repair {
  std::string text;       // the input without the offending bytes
  size_t dropped = 0;     // bytes removed
  size_t first_line = 0;  // 1-based line of the first one
};

// nullopt if `text` is valid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF); otherwise the text with each byte that
// does not begin a valid sequence removed.
std::optional<Utf8Repair> DropInvalidUtf8(absl::string_view text);

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_XML_ENCODING_H_
