// A block of RFC 5322 header fields read straight from bytes: the top of a
// complaint (checked before GMime sees it), a text/rfc822-headers part, the
// fields of a message/feedback-report or message/delivery-status part, and
// an original message quoted in the text of a bounce.
//
// ScanHeaderBlock reads lines ("\n" or "\r\n") from the start of `text`:
//  - "Name: value" (Name = printable ASCII except ':', optional blanks before
//    the colon, as RFC 5322 4.5.3 allows) starts a field;
//  - a line starting with a blank continues the previous field (unfolding
//    removes only the line break, per RFC 5322 2.2.3);
//  - an empty line ends the block (`terminated`, `body_offset` after it);
//  - end of input ends the block (`terminated` false);
//  - any other line ends the block early: `stray_line` says which, and the
//    line itself belongs to the body (`body_offset` is its start). A block
//    whose first line is stray has no fields.
// Errors (InvalidArgument, message without a file name for the caller to
// prefix): a line longer than `max_line_bytes` ("header line 12 longer than
// 65536 bytes"), or a block that has not ended after `max_block_bytes`
// ("no end of the header block in the first 1048576 bytes"). Work is linear
// in the bytes read and never reads past `max_block_bytes` + one line.
// Pure function, thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_HEADER_BLOCK_H_
#define CLEANSWEEP_COLLECTOR_MAIL_HEADER_BLOCK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cleansweep::collector::mail {

struct HeaderField {
  std::string name;   // as written, blanks before the colon removed
  std::string value;  // unfolded, leading and trailing blanks removed
  int line = 0;       // the line where the field starts (0 when unknown)
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  bool terminated = false;  // ended by an empty line
  int stray_line = 0;       // the line that ended the block early, 0 if none
  size_t body_offset = 0;   // offset of the first byte after the block
  int lines = 0;            // lines that belong to the block (fields + continuations)
};

struct HeaderBlockOptions {
  size_t max_line_bytes = 64 * 1024;
  size_t max_block_bytes = 1024 * 1024;
  int first_line = 1;  // the number of the text's first line, for `line` and errors
};

absl::StatusOr<HeaderBlock> ScanHeaderBlock(absl::string_view text,
                                            const HeaderBlockOptions& options = {});

// A raw header value (as GMime keeps it: leading blank, folded lines) as one
// line: CR and LF removed, leading and trailing blanks trimmed.
std::string UnfoldHeaderValue(absl::string_view raw);

// The first field named `name` (case-insensitive), or nullptr.
const HeaderField* FindField(const std::vector<HeaderField>& fields, absl::string_view name);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_HEADER_BLOCK_H_
