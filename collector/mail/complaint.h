// A complaint mail ("your company sent us a virus") parsed into the evidence
// the audit needs: what kind of mail it is, the original message it is
// about (also when that arrives inside a bounce, a virus or spam notice or
// an ARF abuse report), and that message's sender, Received chain and
// authentication results.
//
//   absl::StatusOr<Complaint> c = ParseComplaint(bytes, "complaint.eml");
//   if (!c.ok()) { print c.status().message(); exit 3; }
//   if (c->original) {
//     Origin o = FindOrigin(c->original->hops, trusted);   // origin.h
//     ...
//   }
//
// How the original is found, in order:
//  1. an ARF report (multipart/report; report-type=feedback-report, or any
//     message/feedback-report part) or a bounce (a message/delivery-status
//     part): its first message/rfc822 (message/global) part, or else its
//     first text/rfc822-headers part (also the misspelt text/rfc822-header
//     and message/rfc822-headers);
//  2. otherwise the first attached message/rfc822 or headers part: a
//     forwarded message;
//  3. otherwise a header block quoted in the text of the mail: at least two
//     fields starting after an empty line, among them Received, From or
//     Message-ID (a plain-text bounce's "Message headers follow:"; for a
//     mail that is not a bounce or notice, the block must contain Received);
//  4. otherwise the mail itself (kPlainMail), unless it is a report or
//     notice, in which case `original` stays empty and a warning says so.
// A forwarded attachment that is itself a bounce, notice or report (a
// multipart/report, an automated sender, a bounce subject) is read as that
// report, up to two levels deep: kind, feedback, delivery, reply and
// original come from it, `report` stays the outer mail, and a warning says so.
// A bounce is recognised by a delivery-status part, or, for plain-text
// bounces, by a sender MAILER-DAEMON/postmaster, an empty Return-Path or a
// bounce subject ("Undelivered Mail", "Mail delivery failed", ...). Its
// reason comes from bounce_reason.h over the Diagnostic-Code (or the
// quoted SMTP reply), then the notice's text and subject: virus -> kind
// kVirusNotice, spam -> kSpamNotice, otherwise kBounce (bad reputation is a
// bounce with that reason). An automated mail (Auto-Submitted, a daemon
// sender, empty Return-Path) that is not a bounce but names a virus or spam
// in its subject or text is a notice as well.
//
// Errors (InvalidArgument; the message starts with `source_name`):
//  - more than kMaxComplaintBytes ("x.eml: 62914560 bytes; a complaint is
//    read only up to 52428800 bytes");
//  - empty input, or no header block at the start ("x.eml: not a mail
//    message: no header block in the first 65536 bytes (line 1 is not a
//    header field)"), or a header block without any of From, Date,
//    Received, Message-ID, Subject, To, Return-Path, MIME-Version;
//  - a header line longer than kMaxHeaderLineBytes ("x.eml: header line
//    1234 longer than 65536 bytes") or a header block that does not end
//    within kMaxHeaderBlockBytes;
//  - more MIME boundary matching than kMaxBoundaryChecks (lines starting
//    with "--" times "boundary=" declarations): only crafted mails with
//    hundreds of nested multiparts get there.
// Damage GMime or this code recovers from (a broken MIME boundary, a
// truncated multipart, an over-long nested header cut short, a report
// without a copy of the original) is a warning in `warnings`, never an
// error. GMime reads From/Sender/Reply-To/To/Cc/Bcc into address lists as
// it parses, recursively and in time quadratic for some malformed lists; a
// field over 4 KiB or with more than 64 ':' (or beyond a total budget) is
// hidden from it (renamed in GMime's copy, with a warning) and its mailbox
// read by a plain search for "<a@b>". Work is otherwise linear in the input
// (a few tenths of a second per MiB at worst); nesting deeper than
// kMaxMimeDepth and parts beyond kMaxMimeParts are not examined.
//
// Thread-safety: ParseComplaint may be called from several threads at once.
// GMime is initialised once, on the first call, under absl::call_once
// (g_mime_init; never shut down); each call uses only its own GMime objects,
// and GMime's charset, iconv and utils functions are thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_COMPLAINT_H_
#define CLEANSWEEP_COLLECTOR_MAIL_COMPLAINT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/detect/ip_address.h"
#include "collector/mail/auth_results.h"
#include "collector/mail/bounce_reason.h"
#include "collector/mail/delivery_status.h"
#include "collector/mail/feedback_report.h"
#include "collector/mail/header_block.h"
#include "collector/mail/received.h"

namespace cleansweep::collector::mail {

inline constexpr size_t kMaxComplaintBytes = 50 * 1024 * 1024;
inline constexpr size_t kMaxHeaderLineBytes = 64 * 1024;
inline constexpr size_t kMaxHeaderBlockBytes = 1024 * 1024;
// A single header value taken from a nested message is cut to this size.
inline constexpr size_t kMaxHeaderValueBytes = 256 * 1024;
inline constexpr int kMaxMimeDepth = 16;
inline constexpr int kMaxMimeParts = 1000;
// Received headers parsed per message; the rest are counted in a warning.
inline constexpr int kMaxHops = 500;
// Lines starting with "--" times declared boundaries (see complaint.cc):
// about half a second of GMime's boundary matching.
inline constexpr uint64_t kMaxBoundaryChecks = 50'000'000;

enum class ComplaintKind {
  kPlainMail,       // the file is the offending message itself
  kForwarded,       // the offending message is attached or quoted
  kBounce,          // a non-delivery report for it
  kVirusNotice,     // a bounce or filter notice saying it carried a virus
  kSpamNotice,      // a bounce or filter notice saying it was spam
  kFeedbackReport,  // an ARF abuse report (RFC 5965)
};

// "plain_mail", "forwarded", "bounce", "virus_notice", "spam_notice",
// "feedback_report".
absl::string_view ComplaintKindName(ComplaintKind kind);

// Where the original message was found.
enum class OriginalSource {
  kWholeFile,        // the complaint file itself
  kAttachedMessage,  // a message/rfc822 part
  kAttachedHeaders,  // a text/rfc822-headers part: headers only
  kQuotedInText,     // a header block quoted in a text part: headers only
};

absl::string_view OriginalSourceName(OriginalSource source);

// What one message's header says about it.
struct MessageSummary {
  std::string from;                // From, RFC 2047 decoded to UTF-8
  std::string from_address;        // the first mailbox's addr-spec, "" if none
  std::string return_path;         // without <>; "" for "<>" or none
  std::string message_id;          // without <>
  std::string date_text;           // Date as written
  std::optional<absl::Time> date;  // empty when absent or malformed
  std::string subject;             // RFC 2047 decoded to UTF-8
  std::string to;                  // To, decoded
  // X-Originating-IP (webmail submissions), empty if absent or not an address.
  std::optional<IpAddress> x_originating_ip;
  // Received headers in header order: hops[0] is the newest, written by the
  // last server; the bottom one is the oldest and the easiest to forge.
  std::vector<ReceivedHop> hops;
  // Authentication-Results, ARC-Authentication-Results, ARC-Seal and
  // Received-SPF, in header order, each with received_above set.
  std::vector<AuthResult> auth_results;
  std::vector<HeaderField> headers;  // every field, unfolded (nested values may be cut)
};

struct Complaint {
  std::string source_name;
  ComplaintKind kind = ComplaintKind::kPlainMail;
  BounceReason reason = BounceReason::kUnknown;  // bounces and notices
  MessageSummary report;                         // the complaint mail's own header
  std::optional<FeedbackReport> feedback;        // ARF reports
  std::optional<DeliveryStatus> delivery;        // bounces with a delivery-status part
  // The SMTP reply a bounce quotes (first recipient's, or the text's).
  SmtpReply reply;
  std::string diagnostic;  // the text the reason and reply were read from
  std::optional<MessageSummary> original;
  std::optional<OriginalSource> original_source;
  // Where parsing recovered: "line 17: multipart/alternative has no parts:
  // its boundary "--=_x" never appears (broken MIME boundary)".
  std::vector<std::string> warnings;
};

absl::StatusOr<Complaint> ParseComplaint(absl::string_view bytes, absl::string_view source_name);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_COMPLAINT_H_
