#include "collector/mail/feedback_report.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "collector/mail/ip_literal.h"
#include "collector/mail/mail_date.h"

namespace cleansweep::collector::mail {
namespace {

// "dns; mail.example.com" -> "mail.example.com" (RFC 3464 typed names).
std::string WithoutType(absl::string_view value) {
  const size_t semi = value.find(';');
  if (semi == absl::string_view::npos) return std::string(value);
  return std::string(absl::StripAsciiWhitespace(value.substr(semi + 1)));
}

// "192.0.2.1 (host.example)" -> 192.0.2.1.
std::optional<IpAddress> LeadingAddress(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  size_t end = 0;
  while (end < value.size() && value[end] != ' ' && value[end] != '\t' && value[end] != '(') ++end;
  return ParseIpLiteral(value.substr(0, end));
}

}  // namespace

absl::StatusOr<FeedbackReport> ParseFeedbackReport(absl::string_view content) {
  absl::StatusOr<HeaderBlock> block = ScanHeaderBlock(content);
  if (!block.ok()) return block.status();
  FeedbackReport r;
  std::string received_date;
  for (const HeaderField& f : block->fields) {
    const std::string& v = f.value;
    auto is = [&f](absl::string_view name) { return absl::EqualsIgnoreCase(f.name, name); };
    if (is("Feedback-Type")) {
      r.feedback_type = absl::AsciiStrToLower(v);
    } else if (is("User-Agent")) {
      r.user_agent = v;
    } else if (is("Version")) {
      r.version = v;
    } else if (is("Original-Mail-From")) {
      r.original_mail_from = v;
    } else if (is("Original-Rcpt-To")) {
      r.original_rcpt_to.push_back(v);
    } else if (is("Original-Envelope-Id")) {
      r.original_envelope_id = v;
    } else if (is("Arrival-Date")) {
      r.arrival_date_text = v;
    } else if (is("Received-Date")) {
      received_date = v;
    } else if (is("Reporting-MTA")) {
      r.reporting_mta = WithoutType(v);
    } else if (is("Source-IP")) {
      r.source_ip_text = v;
      r.source_ip = LeadingAddress(v);
    } else if (is("Reported-Domain")) {
      r.reported_domains.push_back(v);
    } else if (is("Reported-URI")) {
      r.reported_uris.push_back(v);
    } else if (is("Authentication-Results")) {
      r.authentication_results.push_back(v);
      for (AuthResult& a : ParseAuthenticationResults(v, "Authentication-Results")) {
        r.auth_results.push_back(std::move(a));
      }
    } else if (is("Auth-Failure")) {
      r.auth_failure = absl::AsciiStrToLower(v);
    } else if (is("Delivery-Result")) {
      r.delivery_result = absl::AsciiStrToLower(v);
    } else if (is("DKIM-Domain")) {
      r.dkim_domain = v;
    } else if (is("DKIM-Identity")) {
      r.dkim_identity = v;
    } else if (is("DKIM-Selector")) {
      r.dkim_selector = v;
    } else if (is("Identity-Alignment")) {
      r.identity_alignment = v;
    } else if (is("Incidents")) {
      int n = 0;
      if (absl::SimpleAtoi(v, &n) && n > 0) r.incidents = n;
    }
  }
  if (r.arrival_date_text.empty()) r.arrival_date_text = received_date;
  if (!r.arrival_date_text.empty()) r.arrival_date = ParseMailDate(r.arrival_date_text);
  r.fields = std::move(block->fields);
  return r;
}

}  // namespace cleansweep::collector::mail
