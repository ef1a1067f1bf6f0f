// DNS message parser (RFC 1035 §4, names per §3.1/§4.1.4, DNS over TCP per
// §4.2.2 and RFC 7766). Pure functions over bytes: no allocation beyond the
// returned values, no shared state, thread-safe, every read bounds-checked.
//
// Message layout (RFC 1035 §4.1.1):
//
//                                   1  1  1  1  1  1
//     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                      ID                       |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                    QDCOUNT                    |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                    ANCOUNT                    |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                    NSCOUNT                    |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                    ARCOUNT                    |
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   | Question: QNAME (labels or pointer), QTYPE, QCLASS  (QDCOUNT times)
//   | Answer:   NAME, TYPE, CLASS, TTL(32), RDLENGTH, RDATA (ANCOUNT times)
//   | Authority, Additional: same RR format (walked for bounds, not reported)
//
// Names: a sequence of labels (length byte 1..63, then the bytes) ending in a
// zero byte, or ending in a compression pointer (two bytes, top bits 11, a
// 14-bit offset from the start of the message).
//
// Errors: every failure is an absl::Status (InvalidArgument) whose message
// starts with a stable snake_case reason followed by ": " and details, e.g.
// "dns_pointer_loop: pointer at 30 to 40 does not point backwards". The reasons:
//   dns_truncated_header   fewer than 12 bytes
//   dns_too_many_records   QDCOUNT above kMaxDnsQuestions
//   dns_truncated_name     a name runs past the end of the message
//   dns_bad_label          a label type other than plain (00) or pointer (11)
//   dns_pointer_loop       a pointer that does not point strictly backwards of
//                          where its run of labels began, or too many jumps
//   dns_name_too_long      a name longer than 255 bytes on the wire
//   dns_truncated_question a question's QTYPE/QCLASS missing
//   dns_truncated_record   an answer's fixed fields missing
//   dns_truncated_rdata    RDLENGTH runs past the end of the message
//   dns_bad_rdata          RDATA inconsistent with its type (A not 4 bytes, ...)
//   dns_tcp_split_message  (NextTcpDnsFrame) the frame is not complete here
//   dns_tcp_empty_message  (NextTcpDnsFrame) a zero length prefix
// DnsErrorReason() extracts the reason for AnomalyCounters.
#ifndef CLEANSWEEP_AGENT_DNS_DNS_PARSER_H_
#define CLEANSWEEP_AGENT_DNS_DNS_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cleansweep::agent {

// RR TYPE values used by the agent (RFC 1035 §3.2.2, RFC 3596, RFC 6891).
inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeNs = 2;
inline constexpr uint16_t kDnsTypeCname = 5;
inline constexpr uint16_t kDnsTypeSoa = 6;
inline constexpr uint16_t kDnsTypePtr = 12;
inline constexpr uint16_t kDnsTypeMx = 15;
inline constexpr uint16_t kDnsTypeTxt = 16;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsTypeAny = 255;

// At most this many questions are accepted (more is an error) and at most
// this many answers are decoded (the rest are counted in answers_skipped).
inline constexpr size_t kMaxDnsQuestions = 64;
inline constexpr size_t kMaxDnsAnswers = 64;

struct DnsQuestion {
  // Presentation form without the trailing dot, case preserved, unusual bytes
  // escaped as dig does ("\." inside a label, "\032" for a space); the root
  // name is ".".
  std::string name;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  // Decoded RDATA, for the types the agent uses:
  //   MX: mx_preference and target (the exchange);
  //   CNAME, NS, PTR: target;
  //   A, AAAA: address in text form ("192.0.2.1", "2001:db8::1").
  // Empty/zero for other types.
  uint16_t mx_preference = 0;
  std::string target;
  std::string address;
};

struct DnsMessage {
  uint16_t id = 0;
  bool is_response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  bool truncated = false;  // TC bit
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  // ANCOUNT beyond kMaxDnsAnswers, not decoded.
  size_t answers_skipped = 0;
};

// Parses the header, the question section and the answer section of one DNS
// message (a UDP payload, or a TCP frame without its length prefix). The
// authority and additional sections are only walked (names, record bounds),
// so a message cut short anywhere fails; bytes after the last counted record
// are ignored. Never reads outside
// `bytes`; returns a Status as described above on malformed input.
absl::StatusOr<DnsMessage> ParseDnsMessage(absl::Span<const uint8_t> bytes);

// One frame of DNS over TCP: a 2-byte big-endian length, then the message.
struct TcpDnsFrame {
  absl::Span<const uint8_t> message;  // without the length prefix
  absl::Span<const uint8_t> rest;     // the bytes after this frame
};
// Splits the first frame off `bytes`. Fails with dns_tcp_split_message when
// fewer than 2 bytes or fewer than the announced length are present (the frame
// continues in a later segment), dns_tcp_empty_message on a zero length.
absl::StatusOr<TcpDnsFrame> NextTcpDnsFrame(absl::Span<const uint8_t> bytes);

// The snake_case reason at the front of a parser error ("dns_bad_label"), or
// "dns_malformed" when the message has no such prefix.
std::string DnsErrorReason(const absl::Status& status);

// Mnemonics: "MX", "A", "AAAA", "ANY", ... ; unknown types as "TYPE<n>"
// (RFC 3597 §5).
std::string DnsTypeName(uint16_t type);
// "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", ... ;
// unknown codes as "RCODE<n>".
std::string DnsRcodeName(uint16_t rcode);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DNS_DNS_PARSER_H_
