// A delivery status notification's machine-readable part (RFC 3464,
// message/delivery-status): the per-message fields, then one block per
// recipient, separated by empty lines.
//
// ParseDeliveryStatus reads the decoded content with header_block.h and
// keeps the fields a bounce's reader needs. For each recipient the reply
// code and enhanced status are taken from its Diagnostic-Code text when it
// quotes them (often more specific than Status: "Status: 5.0.0" with
// "554 5.6.0 ... scored as spam"), else from Status. At most 1000
// recipient blocks are read. Pure, thread-safe; fails only with the
// header-block errors.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_DELIVERY_STATUS_H_
#define CLEANSWEEP_COLLECTOR_MAIL_DELIVERY_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/mail/bounce_reason.h"

namespace cleansweep::collector::mail {

struct BouncedRecipient {
  std::string final_recipient;  // without the "rfc822;" type
  std::string action;           // lower case: "failed", "delayed", ...
  std::string status;           // enhanced status: from the diagnostic if it has one, else Status
  int reply_code = 0;           // SMTP reply code quoted in the diagnostic, 0 if none
  std::string remote_mta;       // without the "dns;" type
  std::string diagnostic;       // Diagnostic-Code without its type ("smtp;"), unfolded
};

struct DeliveryStatus {
  std::string reporting_mta;  // without the "dns;" type
  std::string arrival_date;   // as written
  std::vector<BouncedRecipient> recipients;
};

absl::StatusOr<DeliveryStatus> ParseDeliveryStatus(absl::string_view content);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_DELIVERY_STATUS_H_
