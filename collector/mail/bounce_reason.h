// What a bounce or filter notice says about why the message was refused,
// and the SMTP reply it quotes. Used on the Diagnostic-Code of a
// message/delivery-status part and on the text of bounces without one.
//
// The reason names follow sisimai's vocabulary (the oracle the tests use).
// Classification looks for phrases receiving MTAs and filters write, in
// order virus -> bad reputation -> spam (a reputation rejection often says
// "to protect our users from spam", so the more specific reason wins).
// Pure functions, thread-safe, linear in the input.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_BOUNCE_REASON_H_
#define CLEANSWEEP_COLLECTOR_MAIL_BOUNCE_REASON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cleansweep::collector::mail {

enum class BounceReason { kUnknown, kVirusDetected, kSpamDetected, kBadReputation };

// "", "virusdetected", "spamdetected", "badreputation".
absl::string_view BounceReasonName(BounceReason reason);

// Case and line breaks are ignored.
BounceReason ClassifyRejectionText(absl::string_view text);

struct SmtpReply {
  int code = 0;        // the first 2xx/4xx/5xx reply code ("550", "550-"), 0 if none
  std::string status;  // the first enhanced status code "5.7.1" (RFC 3463), "" if none
};

SmtpReply FindSmtpReply(absl::string_view text);

// The offset of the first "CODE STATUS" pair ("550 5.7.0", "554-5.7.1") in
// `text`, npos if none: where a plain-text bounce quotes the remote reply.
size_t FindReplyWithStatus(absl::string_view text);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_BOUNCE_REASON_H_
