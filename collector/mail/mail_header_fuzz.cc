// Fuzzes the header parsers that read bytes a sender controls: Received,
// dates, address literals, authentication results, header blocks, ARF and
// DSN fields, the rejection classifier and the trust boundary over the
// parsed hops. Any input must return, never crash, read out of bounds or
// produce a hop that contradicts itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "collector/mail/auth_results.h"
#include "collector/mail/bounce_reason.h"
#include "collector/mail/delivery_status.h"
#include "collector/mail/feedback_report.h"
#include "collector/mail/header_block.h"
#include "collector/mail/ip_literal.h"
#include "collector/mail/mail_date.h"
#include "collector/mail/origin.h"
#include "collector/mail/received.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::collector::mail;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<ReceivedHop> hops;
  // Each line is one Received value, so one input yields a chain.
  size_t start = 0;
  while (start <= text.size() && hops.size() < 64) {
    size_t nl = text.find('\n', start);
    if (nl == absl::string_view::npos) nl = text.size();
    ReceivedHop hop = ParseReceived(text.substr(start, nl - start));
    if (hop.raw.size() > nl - start) abort();  // unfolding never adds bytes
    if (hop.date && hop.date_text.empty()) abort();
    hops.push_back(std::move(hop));
    start = nl + 1;
  }
  const Origin inferred = FindOrigin(hops, nullptr);
  if (inferred.hops.size() != hops.size()) abort();
  if (inferred.entry_hop && (*inferred.entry_hop >= hops.size() || !inferred.origin_ip)) abort();
  TrustedRelays trusted;
  trusted.names = {".example.com"};
  const Origin with_trusted = FindOrigin(hops, &trusted);
  if (with_trusted.hops.size() != hops.size()) abort();

  (void)ParseMailDate(text);
  (void)ParseIpLiteral(text);
  (void)ParseAuthenticationResults(text, "Authentication-Results");
  (void)ParseReceivedSpf(text);
  (void)ParseArcSeal(text);
  (void)ClassifyRejectionText(text);
  const SmtpReply reply = FindSmtpReply(text);
  if (reply.code != 0 && (reply.code < 200 || reply.code > 599)) abort();
  const size_t at = FindReplyWithStatus(text);
  if (at != absl::string_view::npos && at >= text.size()) abort();

  HeaderBlockOptions small;
  small.max_line_bytes = 256;
  small.max_block_bytes = 2048;
  absl::StatusOr<HeaderBlock> block = ScanHeaderBlock(text, small);
  if (block.ok() && block->body_offset > text.size()) abort();
  (void)ParseFeedbackReport(text);
  (void)ParseDeliveryStatus(text);
  return 0;
}
