#include "collector/detect/event_wire.h"

#include <bit>
#include <cstring>
#include <limits>

namespace cleansweep::collector {
namespace {

using cleansweep::v1::DnsQuery;
using cleansweep::v1::Endpoint;
using cleansweep::v1::Event;
using cleansweep::v1::MxExchange;
using cleansweep::v1::SmtpSession;
using cleansweep::v1::SmtpTransaction;
using cleansweep::v1::WormPortContact;
using google::protobuf::Timestamp;

// ---- wire primitives ---------------------------------------------------------
//
// Only the plain forms are read: a tag in its shortest encoding (one or two
// bytes: every field number here is below 2048), varints of at most ten bytes
// that fit in 64 bits, lengths of at most five bytes inside the enclosing
// message. Protobuf accepts more (longer encodings, unknown fields, merged
// repeats); those cases are left to it.

constexpr uint32_t kVarint = 0;
constexpr uint32_t kLen = 2;
constexpr uint32_t Tag(int number, uint32_t wire_type) {
  return static_cast<uint32_t>(number) << 3 | wire_type;
}

// Words are read little-endian (varints and OrBytes rely on it).
static_assert(std::endian::native == std::endian::little);

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The OR of every byte of [p, p + n), spread over a word: bit 7 of some byte
// is set iff some byte is not ASCII.
uint64_t OrBytes(const uint8_t* p, size_t n) {
  if (n >= 8) {
    uint64_t acc = Load64(p + n - 8);
    for (size_t i = 0; i + 8 <= n; i += 8) acc |= Load64(p + i);
    return acc;
  }
  if (n >= 4) return Load32(p) | Load32(p + n - 4);
  if (n > 0) return p[0] | p[n / 2] | p[n - 1];
  return 0;
}

class Scanner {
 public:
  // `text_bits` collects the bytes of every string read (see OrBytes).
  Scanner(absl::string_view bytes, uint64_t* text_bits)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())),
        end_(p_ + bytes.size()),
        text_bits_(text_bits) {}

  bool done() const { return p_ == end_; }

  bool Tag(uint32_t* tag) {
    if (p_ == end_) return false;
    uint32_t t = *p_++;
    if (t >= 0x80) {
      if (p_ == end_ || *p_ == 0 || *p_ >= 0x80) return false;
      t = (t & 0x7f) | (static_cast<uint32_t>(*p_++) << 7);
    }
    *tag = t;
    return true;
  }

  bool Varint(uint64_t* out) {
    if (p_ != end_ && *p_ < 0x80) {
      *out = *p_++;
      return true;
    }
    if (end_ - p_ >= 8) {
      // Up to eight bytes without a loop (timestamps take four and five):
      // find the last byte by its clear top bit, drop the top bits and
      // close the gaps.
      uint64_t w = Load64(p_);
      const uint64_t stops = ~w & 0x8080808080808080ULL;
      if (stops != 0) {
        const int bits = __builtin_ctzll(stops) + 1;  // through the last byte
        if (bits < 64) w &= (uint64_t{1} << bits) - 1;
        w = ((w & 0x7f007f007f007f00ULL) >> 1) | (w & 0x007f007f007f007fULL);
        w = ((w & 0x3fff00003fff0000ULL) >> 2) | (w & 0x00003fff00003fffULL);
        w = ((w & 0x0fffffff00000000ULL) >> 4) | (w & 0x000000000fffffffULL);
        *out = w;
        p_ += bits / 8;
        return true;
      }
    }
    int length;
    return VarintSlow(out, &length);
  }

  // Any varint field whose value is not needed.
  bool SkipVarint() {
    uint64_t ignored;
    return Varint(&ignored);
  }

  // A length-delimited value.
  bool Bytes(absl::string_view* out) {
    uint64_t n;
    int length = 1;
    if (p_ != end_ && *p_ < 0x80) {
      n = *p_++;
    } else if (!VarintSlow(&n, &length)) {
      return false;
    }
    if (length > 5 || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // A string field: protobuf checks proto3 strings for valid UTF-8; ASCII
  // always is, anything else is left to it (see text_bits).
  bool Text(absl::string_view* out) {
    if (!Bytes(out)) return false;
    *text_bits_ |= OrBytes(reinterpret_cast<const uint8_t*>(out->data()), out->size());
    return true;
  }
  bool SkipText() {
    absl::string_view ignored;
    return Text(&ignored);
  }

  uint64_t* text_bits() const { return text_bits_; }

 private:
  bool VarintSlow(uint64_t* out, int* length) {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      if (i == 9 && b > 1) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        *out = v;
        *length = i + 1;
        return true;
      }
    }
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t* text_bits_;
};

// Singular fields may appear once here (protobuf would merge or overwrite a
// repeat: left to it).
bool Once(uint64_t* seen, int number) {
  const uint64_t bit = uint64_t{1} << number;
  if (*seen & bit) return false;
  *seen |= bit;
  return true;
}

// 32-bit fields: protobuf keeps the low 32 bits of a longer varint; only
// values that need no truncation are taken here.
bool U32(uint64_t v, uint32_t* out) {
  if (v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}
bool NonNegativeI32(uint64_t v, int* out) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return false;
  *out = static_cast<int>(v);
  return true;
}

// ---- messages ----------------------------------------------------------------
//
// One reader per message of event.proto, every field listed with its wire
// type; a tag not listed (an unknown field, a wrong wire type, field 0)
// makes the answer "unsure". event_wire_test checks that a message with
// every field set is read here, so a field added to the proto without a
// case below is noticed.

// google.protobuf.Timestamp; `nanos` as the raw varint.
bool ReadTimestamp(absl::string_view bytes, uint64_t* text_bits, int64_t* seconds,
                   uint64_t* nanos) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0, v = 0;
  *seconds = 0;
  *nanos = 0;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    switch (tag) {
      case Tag(Timestamp::kSecondsFieldNumber, kVarint):
        if (!Once(&seen, Timestamp::kSecondsFieldNumber) || !s.Varint(&v)) return false;
        *seconds = static_cast<int64_t>(v);
        break;
      case Tag(Timestamp::kNanosFieldNumber, kVarint):
        if (!Once(&seen, Timestamp::kNanosFieldNumber) || !s.Varint(nanos)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool CheckTimestamp(Scanner& outer, uint64_t* seen, int number) {
  absl::string_view bytes;
  int64_t seconds;
  uint64_t nanos;
  return Once(seen, number) && outer.Bytes(&bytes) &&
         ReadTimestamp(bytes, outer.text_bits(), &seconds, &nanos);
}

// `port` as the raw varint.
bool ReadEndpoint(absl::string_view bytes, uint64_t* text_bits, absl::string_view* ip,
                  uint64_t* port) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    switch (tag) {
      case Tag(Endpoint::kIpFieldNumber, kLen):
        if (!Once(&seen, Endpoint::kIpFieldNumber) || !s.Text(ip)) return false;
        break;
      case Tag(Endpoint::kPortFieldNumber, kVarint):
        if (!Once(&seen, Endpoint::kPortFieldNumber) || !s.Varint(port)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// The client (number 1) and server (number 2) endpoints every kind has.
bool ReadEndpoints(Scanner& outer, uint64_t* seen, int number, EventFields* out) {
  absl::string_view bytes;
  uint64_t port = 0;
  if (!Once(seen, number) || !outer.Bytes(&bytes)) return false;
  if (number == 1) return ReadEndpoint(bytes, outer.text_bits(), &out->client_ip, &port);
  return ReadEndpoint(bytes, outer.text_bits(), &out->server_ip, &port) &&
         U32(port, &out->server_port);
}

bool ReadTransaction(absl::string_view bytes, uint64_t* text_bits, EventFields* out) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0, v = 0, listed = 0;
  uint32_t overflow = 0;
  absl::string_view mail_from;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    switch (tag) {
      case Tag(SmtpTransaction::kMailFromFieldNumber, kLen):
        if (!Once(&seen, SmtpTransaction::kMailFromFieldNumber) || !s.Text(&mail_from)) {
          return false;
        }
        break;
      case Tag(SmtpTransaction::kRcptToFieldNumber, kLen):
        if (!s.SkipText()) return false;
        ++listed;
        break;
      case Tag(SmtpTransaction::kRcptOverflowFieldNumber, kVarint):
        if (!Once(&seen, SmtpTransaction::kRcptOverflowFieldNumber) || !s.Varint(&v) ||
            !U32(v, &overflow)) {
          return false;
        }
        break;
      case Tag(SmtpTransaction::kRcptAcceptedFieldNumber, kVarint):
      case Tag(SmtpTransaction::kDataSentFieldNumber, kVarint):
      case Tag(SmtpTransaction::kDataAcceptedFieldNumber, kVarint):
      case Tag(SmtpTransaction::kLastReplyCodeFieldNumber, kVarint):
        if (!Once(&seen, static_cast<int>(tag >> 3)) || !s.SkipVarint()) return false;
        break;
      case Tag(SmtpTransaction::kLastReplyFieldNumber, kLen):
        if (!Once(&seen, SmtpTransaction::kLastReplyFieldNumber) || !s.SkipText()) return false;
        break;
      case Tag(SmtpTransaction::kTimeFieldNumber, kLen):
        if (!CheckTimestamp(s, &seen, SmtpTransaction::kTimeFieldNumber)) return false;
        break;
      default:
        return false;
    }
  }
  out->rcpt += listed + overflow;
  out->mail_from.push_back(mail_from);
  return true;
}

bool ReadSmtp(absl::string_view bytes, uint64_t* text_bits, EventFields* out) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0, v = 0;
  absl::string_view sub;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    const int number = static_cast<int>(tag >> 3);
    switch (tag) {
      case Tag(SmtpSession::kClientFieldNumber, kLen):
      case Tag(SmtpSession::kServerFieldNumber, kLen):
        if (!ReadEndpoints(s, &seen, number, out)) return false;
        break;
      case Tag(SmtpSession::kStartTimeFieldNumber, kLen):
      case Tag(SmtpSession::kEndTimeFieldNumber, kLen):
        if (!CheckTimestamp(s, &seen, number)) return false;
        break;
      case Tag(SmtpSession::kOutcomeFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&v) || !NonNegativeI32(v, &out->outcome)) {
          return false;
        }
        break;
      case Tag(SmtpSession::kClientBytesFieldNumber, kVarint):
      case Tag(SmtpSession::kServerBytesFieldNumber, kVarint):
      case Tag(SmtpSession::kStarttlsFieldNumber, kVarint):
      case Tag(SmtpSession::kImplicitTlsFieldNumber, kVarint):
      case Tag(SmtpSession::kTransactionsOverflowFieldNumber, kVarint):
      case Tag(SmtpSession::kLastReplyCodeFieldNumber, kVarint):
      case Tag(SmtpSession::kClientSeenFieldNumber, kVarint):
      case Tag(SmtpSession::kServerSeenFieldNumber, kVarint):
      case Tag(SmtpSession::kMissingBytesFieldNumber, kVarint):
      case Tag(SmtpSession::kPidFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.SkipVarint()) return false;
        break;
      case Tag(SmtpSession::kHeloCommandFieldNumber, kLen):
      case Tag(SmtpSession::kHeloFieldNumber, kLen):
      case Tag(SmtpSession::kLastReplyFieldNumber, kLen):
      case Tag(SmtpSession::kEndReasonFieldNumber, kLen):
      case Tag(SmtpSession::kProcessFieldNumber, kLen):
      case Tag(SmtpSession::kProcessExeFieldNumber, kLen):
        if (!Once(&seen, number) || !s.SkipText()) return false;
        break;
      case Tag(SmtpSession::kTransactionsFieldNumber, kLen):
        if (!s.Bytes(&sub) || !ReadTransaction(sub, text_bits, out)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool CheckMx(absl::string_view bytes, uint64_t* text_bits) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    switch (tag) {
      case Tag(MxExchange::kPreferenceFieldNumber, kVarint):
        if (!Once(&seen, MxExchange::kPreferenceFieldNumber) || !s.SkipVarint()) return false;
        break;
      case Tag(MxExchange::kExchangeFieldNumber, kLen):
        if (!Once(&seen, MxExchange::kExchangeFieldNumber) || !s.SkipText()) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool ReadDns(absl::string_view bytes, uint64_t* text_bits, EventFields* out) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0, v = 0;
  absl::string_view sub;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    const int number = static_cast<int>(tag >> 3);
    switch (tag) {
      case Tag(DnsQuery::kClientFieldNumber, kLen):
      case Tag(DnsQuery::kServerFieldNumber, kLen):
        if (!ReadEndpoints(s, &seen, number, out)) return false;
        break;
      case Tag(DnsQuery::kTransportFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&v) || !NonNegativeI32(v, &out->transport)) {
          return false;
        }
        break;
      case Tag(DnsQuery::kTimeFieldNumber, kLen):
      case Tag(DnsQuery::kAnswerTimeFieldNumber, kLen):
        if (!CheckTimestamp(s, &seen, number)) return false;
        break;
      case Tag(DnsQuery::kNameFieldNumber, kLen):
        if (!Once(&seen, number) || !s.Text(&out->dns_name)) return false;
        break;
      case Tag(DnsQuery::kQtypeFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&v) || !U32(v, &out->qtype)) return false;
        break;
      case Tag(DnsQuery::kIdFieldNumber, kVarint):
      case Tag(DnsQuery::kAnsweredFieldNumber, kVarint):
      case Tag(DnsQuery::kRcodeFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.SkipVarint()) return false;
        break;
      case Tag(DnsQuery::kQtypeNameFieldNumber, kLen):
      case Tag(DnsQuery::kRcodeNameFieldNumber, kLen):
        if (!Once(&seen, number) || !s.SkipText()) return false;
        break;
      case Tag(DnsQuery::kMxFieldNumber, kLen):
        if (!s.Bytes(&sub) || !CheckMx(sub, text_bits)) return false;
        break;
      case Tag(DnsQuery::kAnswersFieldNumber, kLen):
        if (!s.SkipText()) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

bool ReadWormPort(absl::string_view bytes, uint64_t* text_bits, EventFields* out) {
  Scanner s(bytes, text_bits);
  uint64_t seen = 0, v = 0;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    const int number = static_cast<int>(tag >> 3);
    switch (tag) {
      case Tag(WormPortContact::kClientFieldNumber, kLen):
      case Tag(WormPortContact::kServerFieldNumber, kLen):
        if (!ReadEndpoints(s, &seen, number, out)) return false;
        break;
      case Tag(WormPortContact::kTransportFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&v) || !NonNegativeI32(v, &out->transport)) {
          return false;
        }
        break;
      case Tag(WormPortContact::kTimeFieldNumber, kLen):
        if (!CheckTimestamp(s, &seen, number)) return false;
        break;
      case Tag(WormPortContact::kOutcomeFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&v) || !NonNegativeI32(v, &out->outcome)) {
          return false;
        }
        break;
      case Tag(WormPortContact::kAttemptsFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.SkipVarint()) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

static_assert(SmtpSession::kClientFieldNumber == 1 && SmtpSession::kServerFieldNumber == 2 &&
              DnsQuery::kClientFieldNumber == 1 && DnsQuery::kServerFieldNumber == 2 &&
              WormPortContact::kClientFieldNumber == 1 &&
              WormPortContact::kServerFieldNumber == 2);

}  // namespace

EventFields FieldsOf(const Event& e) {
  EventFields out;
  out.kind = e.kind_case();
  out.sequence = e.sequence();
  out.has_time = e.has_time();
  out.time_seconds = e.time().seconds();
  out.time_nanos = e.time().nanos();
  const Endpoint* client = nullptr;
  const Endpoint* server = nullptr;
  switch (e.kind_case()) {
    case Event::kSmtp:
      client = &e.smtp().client();
      server = &e.smtp().server();
      out.outcome = e.smtp().outcome();
      for (const auto& tx : e.smtp().transactions()) {
        out.rcpt += static_cast<uint64_t>(tx.rcpt_to_size()) + tx.rcpt_overflow();
        out.mail_from.push_back(tx.mail_from());
      }
      break;
    case Event::kDns:
      client = &e.dns().client();
      server = &e.dns().server();
      out.transport = e.dns().transport();
      out.qtype = e.dns().qtype();
      out.dns_name = e.dns().name();
      break;
    case Event::kWormPort:
      client = &e.worm_port().client();
      server = &e.worm_port().server();
      out.transport = e.worm_port().transport();
      out.outcome = e.worm_port().outcome();
      break;
    case Event::KIND_NOT_SET:
      break;
  }
  if (client != nullptr) {
    out.client_ip = client->ip();
    out.server_ip = server->ip();
    out.server_port = server->port();
  }
  return out;
}

bool ReadEventFields(absl::string_view bytes, EventFields* out) {
  // Field by field: assigning a fresh EventFields would rebuild the vector.
  out->kind = Event::KIND_NOT_SET;
  out->sequence = 0;
  out->has_time = false;
  out->time_seconds = 0;
  out->time_nanos = 0;
  out->client_ip = out->server_ip = out->dns_name = absl::string_view();
  out->server_port = 0;
  out->transport = out->outcome = 0;
  out->qtype = 0;
  out->rcpt = 0;
  out->mail_from.clear();

  uint64_t text_bits = 0;
  Scanner s(bytes, &text_bits);
  uint64_t seen = 0;
  absl::string_view sub;
  constexpr uint64_t kKinds = uint64_t{1} << Event::kSmtpFieldNumber |
                              uint64_t{1} << Event::kDnsFieldNumber |
                              uint64_t{1} << Event::kWormPortFieldNumber;
  while (!s.done()) {
    uint32_t tag;
    if (!s.Tag(&tag)) return false;
    const int number = static_cast<int>(tag >> 3);
    switch (tag) {
      case Tag(Event::kSequenceFieldNumber, kVarint):
        if (!Once(&seen, number) || !s.Varint(&out->sequence)) return false;
        break;
      case Tag(Event::kTimeFieldNumber, kLen): {
        uint64_t nanos;
        if (!Once(&seen, number) || !s.Bytes(&sub) ||
            !ReadTimestamp(sub, &text_bits, &out->time_seconds, &nanos)) {
          return false;
        }
        int n;
        if (!NonNegativeI32(nanos, &n)) return false;
        out->time_nanos = n;
        out->has_time = true;
        break;
      }
      case Tag(Event::kInterfaceFieldNumber, kLen):
        if (!Once(&seen, number) || !s.SkipText()) return false;
        break;
      case Tag(Event::kSmtpFieldNumber, kLen):
      case Tag(Event::kDnsFieldNumber, kLen):
      case Tag(Event::kWormPortFieldNumber, kLen): {
        // One member of the oneof, once (a second one replaces or merges).
        if ((seen & kKinds) != 0 || !Once(&seen, number) || !s.Bytes(&sub)) return false;
        bool ok;
        if (number == Event::kSmtpFieldNumber) {
          out->kind = Event::kSmtp;
          ok = ReadSmtp(sub, &text_bits, out);
        } else if (number == Event::kDnsFieldNumber) {
          out->kind = Event::kDns;
          ok = ReadDns(sub, &text_bits, out);
        } else {
          out->kind = Event::kWormPort;
          ok = ReadWormPort(sub, &text_bits, out);
        }
        if (!ok) return false;
        break;
      }
      default:
        return false;
    }
  }
  return (text_bits & 0x8080808080808080ULL) == 0;
}

}  // namespace cleansweep::collector
