// Line-level SMTP parsing (RFC 5321), pure functions over bytes.
//
//  - `LineAssembler` cuts a byte stream into lines ending in CRLF or a bare
//    LF, holding at most `max_line` (+1 for a CR) bytes of a partial line; a
//    line longer than `max_line` without its CR LF is
//    reported once as `kTooLong` and its remainder skipped up to the next LF.
//  - `ParseCommand` classifies a client command line (verbs are
//    case-insensitive) and extracts the envelope address of MAIL FROM / RCPT TO
//    in every form seen in the wild: `<a@b>`, `: <a@b>`, `a@b` without
//    brackets, `"Name" <a@b>`, with ESMTP parameters after it (`SIZE=…`).
//  - `ParseReplyLine` splits a server reply line `250-…` / `250 …` into code,
//    continuation flag and text.
//
// Addresses are returned WITHOUT the angle brackets, case preserved, the same
// value Zeek's smtp.log shows in `mailfrom` / `rcptto`; the null sender `<>`
// is "". Suricata's eve.json keeps the brackets (`<a@b>`): compare after
// stripping them.
//
// Nothing here allocates beyond the line buffer; every read is bounds-checked.
// Not thread-safe per LineAssembler instance; the free functions are pure.
#ifndef CLEANSWEEP_AGENT_SMTP_SMTP_PARSER_H_
#define CLEANSWEEP_AGENT_SMTP_SMTP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cleansweep::agent {

class LineAssembler {
 public:
  enum class Result {
    kNeedMore,  // all input consumed, no line completed
    kLine,      // `line` holds a complete line without its CR LF
    kTooLong,   // a line exceeded max_line; it is being skipped
  };

  explicit LineAssembler(size_t max_line = 4096) : max_line_(max_line) {}

  // Consumes bytes from the front of `*data` up to and including the end of
  // the next line (or all of it). On kLine, `*line` is valid until the next
  // call. Call repeatedly until kNeedMore.
  Result Next(absl::string_view* data, absl::string_view* line);

  // Forgets the partial line and skips input up to the next LF (after a hole
  // in the stream, the bytes before the next line boundary are a fragment).
  void Resync();
  // Forgets the partial line and starts fresh at the next byte.
  void Reset();

  // Bytes of a partial line currently held.
  size_t pending_bytes() const { return clear_next_ ? 0 : buffer_.size(); }
  // True while skipping (after kTooLong or Resync) until the next LF.
  bool skipping() const { return skipping_; }

 private:
  size_t max_line_;
  std::string buffer_;
  bool skipping_ = false;
  bool clear_next_ = false;  // buffer_ holds the line returned last time
};

enum class SmtpVerb {
  kNone,     // not a command (empty line, not an ASCII word)
  kUnknown,  // a word that is not a command we track (VRFY, XFOO, ...)
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kStarttls,
  kQuit,
  kAuth,
  kNoop,
};

struct SmtpCommand {
  SmtpVerb verb = SmtpVerb::kNone;
  // The verb as sent (e.g. "ehlo"), for kUnknown diagnostics.
  absl::string_view word;
  // Everything after the verb and its separating blanks, trailing blanks trimmed.
  absl::string_view argument;
  // MAIL / RCPT: the syntax "FROM:" / "TO:" was present and an address parsed.
  bool has_address = false;
  // MAIL / RCPT: the address without brackets; "" for the null sender.
  std::string address;
  // BDAT: chunk size and the LAST flag; `bdat_valid` false if the size is missing
  // or not a number.
  bool bdat_valid = false;
  uint64_t bdat_size = 0;
  bool bdat_last = false;
  // True when the word consists only of letters (looks like a command verb,
  // as opposed to a line of message text).
  bool word_is_alpha = false;
};

SmtpCommand ParseCommand(absl::string_view line);

// Extracts the address from the text after "FROM:" / "TO:" (leading blanks
// allowed). Returns false if nothing address-like is there.
bool ExtractAddress(absl::string_view text, std::string* address);

struct SmtpReplyLine {
  bool valid = false;  // three digits, then end of line, ' ' or '-'
  uint32_t code = 0;
  bool continuation = false;  // "250-" (more lines follow)
  absl::string_view text;     // after the separator
};

SmtpReplyLine ParseReplyLine(absl::string_view line);

// True if `data` starts like a TLS handshake record (content type 22, major
// version 3): a client speaking TLS instead of SMTP.
bool LooksLikeTlsRecord(absl::string_view data);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SMTP_SMTP_PARSER_H_
