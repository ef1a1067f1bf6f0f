// TCP and UDP dissectors.
//
// TCP header, RFC 9293 section 3.1:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        Sequence Number                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Acknowledgment Number                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Data |       |C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//   |       |       |R|E|G|K|H|T|N|N|                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |         Urgent Pointer        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (Data Offset > 5)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// UDP header, RFC 768:
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |            Length             |           Checksum            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Checksums are not verified: locally sent packets are captured before the
// NIC computes them (checksum offload), so they are routinely wrong.
#include "agent/decode/transport.h"

#include "agent/decode/byte_reader.h"

namespace cleansweep::agent {
namespace {
constexpr size_t kTcpMinHeaderLen = 20;
constexpr size_t kUdpHeaderLen = 8;
}  // namespace

LayerResult DecodeTcp(absl::Span<const uint8_t> data, bool capture_truncated,
                      TransportLayer* out) {
  ByteReader r(data);
  uint8_t offset_byte, flags;
  if (!r.ReadU16(&out->src_port) || !r.ReadU16(&out->dst_port) || !r.ReadU32(&out->seq) ||
      !r.ReadU32(&out->ack) || !r.ReadU8(&offset_byte) || !r.ReadU8(&flags)) {
    return LayerResult::Malformed("tcp_truncated");
  }
  // Window, checksum and urgent pointer complete the fixed header.
  if (!r.Skip(6)) return LayerResult::Malformed("tcp_truncated");
  const size_t header_len = static_cast<size_t>(offset_byte >> 4) * 4;
  if (header_len < kTcpMinHeaderLen) return LayerResult::Malformed("tcp_bad_data_offset");
  // Options are skipped, not interpreted.
  if (!r.Skip(header_len - kTcpMinHeaderLen)) {
    return LayerResult::Malformed(capture_truncated ? "tcp_truncated" : "tcp_bad_data_offset");
  }
  out->tcp_flags = flags;
  out->payload = r.Rest();
  return LayerResult::Ok();
}

LayerResult DecodeUdp(absl::Span<const uint8_t> data, bool capture_truncated,
                      TransportLayer* out) {
  ByteReader r(data);
  uint16_t length, checksum;
  if (!r.ReadU16(&out->src_port) || !r.ReadU16(&out->dst_port) || !r.ReadU16(&length) ||
      !r.ReadU16(&checksum)) {
    return LayerResult::Malformed("udp_truncated");
  }
  out->tcp_flags = 0;
  out->seq = 0;
  out->ack = 0;
  if (length < kUdpHeaderLen) {
    // Zero is legal only for IPv6 jumbograms; treated as malformed like Zeek.
    return LayerResult::Malformed("udp_bad_length");
  }
  const size_t payload_len = length - kUdpHeaderLen;
  if (payload_len > r.Remaining()) {
    if (!capture_truncated) return LayerResult::Malformed("udp_bad_length");
    out->payload = r.Rest();  // snaplen cut the datagram: keep what was captured
    return LayerResult::Ok();
  }
  r.ReadSpan(payload_len, &out->payload);
  return LayerResult::Ok();
}

}  // namespace cleansweep::agent
