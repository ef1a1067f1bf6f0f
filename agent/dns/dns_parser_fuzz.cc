// Fuzzes the DNS parser and the TCP frame splitter: any input must yield a
// message or a Status with a snake_case reason, never a crash or a read
// outside the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "agent/dns/dns_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::agent;
  absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<DnsMessage> msg = ParseDnsMessage(bytes);
  if (msg.ok()) {
    // Names are bounded by the 255-byte wire limit (each byte escapes to at most 4).
    for (const DnsQuestion& q : msg->questions) {
      if (q.name.empty() || q.name.size() > 4 * 255) abort();
      DnsTypeName(q.qtype);
    }
    if (msg->answers.size() > kMaxDnsAnswers) abort();
    DnsRcodeName(msg->rcode);
  } else if (DnsErrorReason(msg.status()) == "dns_malformed") {
    abort();  // every error must carry its reason
  }
  // The same bytes as a DNS-over-TCP stream.
  while (!bytes.empty()) {
    absl::StatusOr<TcpDnsFrame> frame = NextTcpDnsFrame(bytes);
    if (!frame.ok()) break;
    (void)ParseDnsMessage(frame->message);
    bytes = frame->rest;
  }
  return 0;
}
