// Drives the SMTP observer with a connection built from the input: each record
// is a segment of one side (direction, flags, sequence jitter, payload), so
// reordering, retransmission, holes, RST/FIN at odd moments and arbitrary
// SMTP bytes all reach the reassembler and the dialogue.
//
// Record: dir_flags (1 byte: bit 7 = from server, low bits = TCP flags),
// seq_delta (1 byte, signed: shift from the side's next sequence number),
// length (1 byte), payload.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "agent/smtp/smtp_observer.h"

namespace {
class CountingSink : public cleansweep::agent::EventSink {
 public:
  void Emit(cleansweep::v1::Event event) override {
    if (!event.has_smtp()) std::abort();
    ++count;
  }
  int count = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::agent;
  CountingSink sink;
  AnomalyCounters anomalies;
  SmtpObserverOptions options;
  options.max_buffered_per_direction = 512;
  options.max_line = 128;
  options.max_rcpt_per_transaction = 4;
  options.max_transactions_per_session = 4;
  SmtpObserver obs(options, &sink, &anomalies);
  uint32_t next[2] = {0xFFFFFF80u, 1000};
  int64_t now = 1'000'000;
  size_t i = 0;
  while (i + 3 <= size) {
    const bool server = data[i] & 0x80;
    const uint8_t flags = data[i] & 0x1F;
    const int8_t delta = static_cast<int8_t>(data[i + 1]);
    size_t len = data[i + 2];
    i += 3;
    if (len > size - i) len = size - i;
    DecodedPacket p;
    p.time_us = now;
    now += 200'000;
    p.ip_proto = kIpProtoTcp;
    const IpAddress c = IpAddress::V4(10, 1, 1, 1), s = IpAddress::V4(10, 2, 2, 2);
    p.src = server ? s : c;
    p.dst = server ? c : s;
    p.src_port = server ? 587 : 51000;
    p.dst_port = server ? 51000 : 587;
    p.tcp_flags = flags;
    uint32_t& n = next[server ? 1 : 0];
    p.seq = n + static_cast<uint32_t>(static_cast<int32_t>(delta));
    p.payload = absl::Span<const uint8_t>(data + i, len);
    if (delta == 0) n += len + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
    i += len;
    obs.OnPacket(p);
    obs.Advance(now);
  }
  obs.Finish(now);
  if (obs.connection_count() != 0) std::abort();
  return 0;
}
