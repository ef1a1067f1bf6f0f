// The few fields of an Event that ExtractFact reads, as views, taken either
// from a parsed message (FieldsOf) or straight from the serialized bytes
// (ReadEventFields) without building the message: re-judging stored history
// reads millions of events and needs a handful of their fields.
//
// ReadEventFields never guesses. It answers only for plainly encoded bytes:
// every field one of event.proto's (each message's reader lists them all)
// with its declared wire type, each singular field and the oneof at most
// once, every string ASCII, varints in range. For such bytes
// Event::ParseFromArray succeeds and FieldsOf(the parsed message) equals
// what it returned. For anything else (unknown or repeated fields,
// non-ASCII or invalid text, malformed bytes) it returns false and the
// caller parses the message with protobuf, whose verdict stands. A field
// added to the proto is "unknown" here until its reader lists it (slower,
// never wrong); event_wire_test notices it.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_EVENT_WIRE_H_
#define CLEANSWEEP_COLLECTOR_DETECT_EVENT_WIRE_H_

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::collector {

struct EventFields {
  cleansweep::v1::Event::KindCase kind = cleansweep::v1::Event::KIND_NOT_SET;
  uint64_t sequence = 0;
  bool has_time = false;
  int64_t time_seconds = 0;
  int32_t time_nanos = 0;
  // The kind's client and server endpoints ("" and 0 when absent).
  absl::string_view client_ip;
  absl::string_view server_ip;
  uint32_t server_port = 0;
  int transport = 0;  // DNS and worm port: the event's; SMTP: unset (0)
  int outcome = 0;    // SMTP and worm port
  uint32_t qtype = 0;  // DNS
  absl::string_view dns_name;
  // SMTP: RCPT TO commands over every transaction (listed + overflow), and
  // each transaction's MAIL FROM in order.
  uint64_t rcpt = 0;
  absl::InlinedVector<absl::string_view, 2> mail_from;

  bool operator==(const EventFields& other) const = default;
};

// The fields of a parsed event; the views point into `event`.
EventFields FieldsOf(const cleansweep::v1::Event& event);

// The fields of a serialized Event, the views pointing into `bytes`; false
// when the bytes are not plainly encoded (see above) and `out` is then
// unspecified. Thread-safe.
bool ReadEventFields(absl::string_view bytes, EventFields* out);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_EVENT_WIRE_H_
