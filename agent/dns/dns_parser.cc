#include "agent/dns/dns_parser.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/decode/packet.h"
#include "common/status_macros.h"

namespace cleansweep::agent {
namespace {

// Longest name on the wire, label lengths and the final zero included (§2.3.4).
constexpr size_t kMaxNameWireLength = 255;
// Compression jumps followed per name. Pointers must already point strictly
// backwards, which alone guarantees termination; the cap bounds the work.
constexpr int kMaxPointerJumps = 64;
constexpr size_t kHeaderSize = 12;

absl::Status Error(absl::string_view reason, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(reason, ": ", detail));
}

// Bounds-checked big-endian reads from the whole message at explicit offsets;
// each returns false instead of reading past the end.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t size() const { return bytes_.size(); }
  bool Has(size_t offset, size_t n) const {
    return offset <= bytes_.size() && n <= bytes_.size() - offset;
  }
  bool U8(size_t offset, uint8_t* out) const {
    if (!Has(offset, 1)) return false;
    *out = bytes_[offset];
    return true;
  }
  bool U16(size_t offset, uint16_t* out) const {
    if (!Has(offset, 2)) return false;
    *out = static_cast<uint16_t>((bytes_[offset] << 8) | bytes_[offset + 1]);
    return true;
  }
  bool U32(size_t offset, uint32_t* out) const {
    if (!Has(offset, 4)) return false;
    *out = (uint32_t{bytes_[offset]} << 24) | (uint32_t{bytes_[offset + 1]} << 16) |
           (uint32_t{bytes_[offset + 2]} << 8) | uint32_t{bytes_[offset + 3]};
    return true;
  }
  uint8_t At(size_t offset) const { return bytes_[offset]; }  // caller checked Has()

 private:
  absl::Span<const uint8_t> bytes_;
};

// Appends one label byte in presentation form, escaping as dig does: the
// characters that are special in zone files get a backslash, anything outside
// printable ASCII becomes \DDD (decimal).
void AppendLabelByte(uint8_t c, std::string* out) {
  switch (c) {
    case '.':
    case '\\':
    case '"':
    case '(':
    case ')':
    case ';':
    case '@':
    case '$':
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      return;
    default:
      break;
  }
  if (c <= 0x20 || c >= 0x7f) {
    absl::StrAppendFormat(out, "\\%03d", c);
  } else {
    out->push_back(static_cast<char>(c));
  }
}

// A decoded name and the offset just past its encoding at the place it was
// read (after the first pointer, if any).
struct NameResult {
  std::string name;
  size_t end = 0;
};

absl::StatusOr<NameResult> ReadName(const Reader& r, size_t offset) {
  NameResult result;
  bool jumped = false;
  int jumps = 0;
  size_t wire_length = 1;  // the terminating zero (or root)
  // Where the current run of labels started: a pointer must target an offset
  // strictly before it, so successive runs move strictly backwards.
  size_t run_start = offset;
  size_t pos = offset;
  while (true) {
    uint8_t len;
    if (!r.U8(pos, &len)) {
      return Error("dns_truncated_name", absl::StrFormat("name at %d runs past the end", offset));
    }
    const uint8_t kind = len & 0xC0;
    if (kind == 0xC0) {
      uint8_t low;
      if (!r.U8(pos + 1, &low)) {
        return Error("dns_truncated_name", absl::StrFormat("pointer at %d cut off", pos));
      }
      const size_t target = (size_t{len & 0x3Fu} << 8) | low;
      if (target >= run_start) {
        return Error("dns_pointer_loop",
                     absl::StrFormat("pointer at %d to %d does not point backwards", pos, target));
      }
      if (++jumps > kMaxPointerJumps) {
        return Error("dns_pointer_loop", absl::StrFormat("more than %d pointers", kMaxPointerJumps));
      }
      if (!jumped) result.end = pos + 2;
      jumped = true;
      run_start = target;
      pos = target;
      continue;
    }
    if (kind != 0) {
      return Error("dns_bad_label", absl::StrFormat("label type 0x%02x at %d", kind, pos));
    }
    if (len == 0) {
      if (!jumped) result.end = pos + 1;
      break;
    }
    wire_length += size_t{len} + 1;
    if (wire_length > kMaxNameWireLength) {
      return Error("dns_name_too_long", absl::StrFormat("name at %d exceeds 255 bytes", offset));
    }
    if (!r.Has(pos + 1, len)) {
      return Error("dns_truncated_name", absl::StrFormat("label at %d runs past the end", pos));
    }
    if (!result.name.empty()) result.name.push_back('.');
    for (size_t i = 0; i < len; ++i) AppendLabelByte(r.At(pos + 1 + i), &result.name);
    pos += 1 + size_t{len};
  }
  if (result.name.empty()) result.name.push_back('.');  // the root
  return result;
}

std::string AddressText(const Reader& r, size_t offset, size_t length) {
  IpAddress ip;
  ip.family = length == 4 ? 4 : 6;
  for (size_t i = 0; i < length; ++i) ip.bytes[i] = r.At(offset + i);
  return ip.ToString();
}

// Decodes the RDATA of the types the agent reports; others are left empty.
absl::Status DecodeRdata(const Reader& r, size_t offset, size_t length, DnsRecord* rec) {
  const size_t end = offset + length;
  switch (rec->type) {
    case kDnsTypeA:
    case kDnsTypeAaaa: {
      const size_t want = rec->type == kDnsTypeA ? 4 : 16;
      if (length != want) {
        return Error("dns_bad_rdata", absl::StrFormat("%s RDATA of %d bytes",
                                                      DnsTypeName(rec->type), length));
      }
      rec->address = AddressText(r, offset, length);
      return absl::OkStatus();
    }
    case kDnsTypeMx: {
      if (length < 3 || !r.U16(offset, &rec->mx_preference)) {
        return Error("dns_bad_rdata", absl::StrFormat("MX RDATA of %d bytes", length));
      }
      ASSIGN_OR_RETURN(NameResult exchange, ReadName(r, offset + 2));
      if (exchange.end > end) {
        return Error("dns_bad_rdata", "MX exchange runs past RDLENGTH");
      }
      rec->target = std::move(exchange.name);
      return absl::OkStatus();
    }
    case kDnsTypeCname:
    case kDnsTypeNs:
    case kDnsTypePtr: {
      if (length < 1) return Error("dns_bad_rdata", "empty name RDATA");
      ASSIGN_OR_RETURN(NameResult target, ReadName(r, offset));
      if (target.end > end) {
        return Error("dns_bad_rdata",
                     absl::StrCat(DnsTypeName(rec->type), " target runs past RDLENGTH"));
      }
      rec->target = std::move(target.name);
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<DnsMessage> ParseDnsMessage(absl::Span<const uint8_t> bytes) {
  const Reader r(bytes);
  if (r.size() < kHeaderSize) {
    return Error("dns_truncated_header", absl::StrFormat("%d bytes", r.size()));
  }
  DnsMessage msg;
  uint16_t flags, qdcount, ancount, nscount, arcount;
  r.U16(0, &msg.id);
  r.U16(2, &flags);
  r.U16(4, &qdcount);
  r.U16(6, &ancount);
  r.U16(8, &nscount);
  r.U16(10, &arcount);
  msg.is_response = (flags & 0x8000) != 0;
  msg.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  msg.truncated = (flags & 0x0200) != 0;
  msg.rcode = static_cast<uint8_t>(flags & 0x000F);
  if (qdcount > kMaxDnsQuestions) {
    return Error("dns_too_many_records", absl::StrFormat("QDCOUNT %d", qdcount));
  }

  size_t pos = kHeaderSize;
  msg.questions.reserve(qdcount);
  for (uint16_t i = 0; i < qdcount; ++i) {
    ASSIGN_OR_RETURN(NameResult name, ReadName(r, pos));
    DnsQuestion q;
    q.name = std::move(name.name);
    if (!r.U16(name.end, &q.qtype) || !r.U16(name.end + 2, &q.qclass)) {
      return Error("dns_truncated_question", absl::StrFormat("question %d", i));
    }
    pos = name.end + 4;
    msg.questions.push_back(std::move(q));
  }

  const size_t decoded = ancount < kMaxDnsAnswers ? ancount : kMaxDnsAnswers;
  msg.answers_skipped = ancount - decoded;
  // Reserve only what the bytes could hold (11 bytes per RR at least), so a
  // large ANCOUNT in a short message costs nothing.
  msg.answers.reserve(std::min(decoded, (r.size() - std::min(pos, r.size())) / 11));
  for (size_t i = 0; i < decoded; ++i) {
    ASSIGN_OR_RETURN(NameResult name, ReadName(r, pos));
    DnsRecord rec;
    rec.name = std::move(name.name);
    uint16_t rdlength;
    if (!r.U16(name.end, &rec.type) || !r.U16(name.end + 2, &rec.rclass) ||
        !r.U32(name.end + 4, &rec.ttl) || !r.U16(name.end + 8, &rdlength)) {
      return Error("dns_truncated_record", absl::StrFormat("answer %d", i));
    }
    const size_t rdata = name.end + 10;
    if (!r.Has(rdata, rdlength)) {
      return Error("dns_truncated_rdata",
                   absl::StrFormat("answer %d RDLENGTH %d past the end", i, rdlength));
    }
    RETURN_IF_ERROR(DecodeRdata(r, rdata, rdlength, &rec));
    pos = rdata + rdlength;
    msg.answers.push_back(std::move(rec));
  }
  if (msg.answers_skipped > 0) return msg;  // cannot know where the next section starts

  // Authority and additional records are not reported, but walking them
  // (names, fixed fields, RDATA bounds; capped like the answers) makes a
  // message cut short anywhere an error rather than a silent half-parse.
  const size_t others = std::min<size_t>(size_t{nscount} + arcount, 2 * kMaxDnsAnswers);
  for (size_t i = 0; i < others; ++i) {
    ASSIGN_OR_RETURN(NameResult name, ReadName(r, pos));
    uint16_t rdlength;
    if (!r.Has(name.end, 10) || !r.U16(name.end + 8, &rdlength)) {
      return Error("dns_truncated_record", absl::StrFormat("authority/additional %d", i));
    }
    const size_t rdata = name.end + 10;
    if (!r.Has(rdata, rdlength)) {
      return Error("dns_truncated_rdata",
                   absl::StrFormat("authority/additional %d RDLENGTH %d past the end", i, rdlength));
    }
    pos = rdata + rdlength;
  }
  return msg;
}

absl::StatusOr<TcpDnsFrame> NextTcpDnsFrame(absl::Span<const uint8_t> bytes) {
  if (bytes.size() < 2) {
    return Error("dns_tcp_split_message", "length prefix incomplete");
  }
  const size_t length = (size_t{bytes[0]} << 8) | bytes[1];
  if (length == 0) return Error("dns_tcp_empty_message", "zero length prefix");
  if (bytes.size() - 2 < length) {
    return Error("dns_tcp_split_message",
                 absl::StrFormat("frame of %d bytes, %d present", length, bytes.size() - 2));
  }
  TcpDnsFrame frame;
  frame.message = bytes.subspan(2, length);
  frame.rest = bytes.subspan(2 + length);
  return frame;
}

std::string DnsErrorReason(const absl::Status& status) {
  absl::string_view msg = status.message();
  const size_t colon = msg.find(':');
  if (colon == absl::string_view::npos || colon == 0) return "dns_malformed";
  for (size_t i = 0; i < colon; ++i) {
    const char c = msg[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return "dns_malformed";
  }
  return std::string(msg.substr(0, colon));
}

std::string DnsTypeName(uint16_t type) {
  switch (type) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 52: return "TLSA";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 257: return "CAA";
    default: return absl::StrCat("TYPE", type);
  }
}

std::string DnsRcodeName(uint16_t rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    default: return absl::StrCat("RCODE", rcode);
  }
}

}  // namespace cleansweep::agent
