#include "collector/mail/delivery_status.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "collector/mail/header_block.h"

namespace cleansweep::collector::mail {
namespace {

constexpr int kMaxRecipients = 1000;

std::string WithoutType(absl::string_view value) {
  const size_t semi = value.find(';');
  if (semi == absl::string_view::npos) return std::string(absl::StripAsciiWhitespace(value));
  return std::string(absl::StripAsciiWhitespace(value.substr(semi + 1)));
}

std::string Value(const std::vector<HeaderField>& fields, absl::string_view name) {
  const HeaderField* f = FindField(fields, name);
  return f ? f->value : std::string();
}

absl::string_view SkipEmptyLines(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) ++j;
    if (j < text.size() && text[j] == '\n') {
      i = j + 1;
    } else {
      break;
    }
  }
  return text.substr(i);
}

}  // namespace

absl::StatusOr<DeliveryStatus> ParseDeliveryStatus(absl::string_view content) {
  DeliveryStatus out;
  absl::string_view rest = SkipEmptyLines(content);
  absl::StatusOr<HeaderBlock> per_message = ScanHeaderBlock(rest);
  if (!per_message.ok()) return per_message.status();
  out.reporting_mta = WithoutType(Value(per_message->fields, "Reporting-MTA"));
  out.arrival_date = Value(per_message->fields, "Arrival-Date");
  rest = rest.substr(per_message->body_offset);
  while (!rest.empty() && static_cast<int>(out.recipients.size()) < kMaxRecipients) {
    rest = SkipEmptyLines(rest);
    if (rest.empty()) break;
    absl::StatusOr<HeaderBlock> block = ScanHeaderBlock(rest);
    if (!block.ok()) return block.status();
    if (block->fields.empty()) break;  // text that is not a field block
    BouncedRecipient r;
    r.final_recipient = WithoutType(Value(block->fields, "Final-Recipient"));
    r.action = absl::AsciiStrToLower(Value(block->fields, "Action"));
    r.remote_mta = WithoutType(Value(block->fields, "Remote-MTA"));
    r.diagnostic = WithoutType(Value(block->fields, "Diagnostic-Code"));
    const SmtpReply reply = FindSmtpReply(r.diagnostic);
    r.reply_code = reply.code;
    r.status = !reply.status.empty()
                   ? reply.status
                   : std::string(absl::StripAsciiWhitespace(Value(block->fields, "Status")));
    out.recipients.push_back(std::move(r));
    if (block->body_offset == 0) break;
    rest = rest.substr(block->body_offset);
  }
  return out;
}

}  // namespace cleansweep::collector::mail
