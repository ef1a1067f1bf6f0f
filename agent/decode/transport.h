// Transport-layer decoding: TCP (RFC 9293) and UDP (RFC 768) headers. Pure
// functions over borrowed bytes; no allocation.
//
// `capture_truncated` tells the decoder that the IP layer stated more bytes
// than were captured (snaplen): a UDP length beyond the captured bytes is then
// accepted, and a TCP header cut short is "tcp_truncated" rather than
// "tcp_bad_data_offset".
#ifndef CLEANSWEEP_AGENT_DECODE_TRANSPORT_H_
#define CLEANSWEEP_AGENT_DECODE_TRANSPORT_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/decode/layer_result.h"

namespace cleansweep::agent {

struct TransportLayer {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t tcp_flags = 0;  // TCP only: FIN SYN RST PSH ACK URG ECE CWR bits
  uint32_t seq = 0;       // TCP only
  uint32_t ack = 0;       // TCP only
  absl::Span<const uint8_t> payload;
};

LayerResult DecodeTcp(absl::Span<const uint8_t> data, bool capture_truncated,
                      TransportLayer* out);
LayerResult DecodeUdp(absl::Span<const uint8_t> data, bool capture_truncated,
                      TransportLayer* out);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_TRANSPORT_H_
