// The decoded view of one captured packet, shared by the decoders (which fill
// it) and the observers (which read it). Plain data; it borrows the payload
// bytes from the capture buffer, valid only during the observer callback.
#ifndef CLEANSWEEP_AGENT_DECODE_PACKET_H_
#define CLEANSWEEP_AGENT_DECODE_PACKET_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace cleansweep::agent {

// An IPv4 or IPv6 address. IPv4 lives in bytes[0..3], the rest zero.
struct IpAddress {
  uint8_t family = 0;  // 4 or 6; 0 = unset
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // Text form: dotted quad, or RFC 5952 for IPv6 ("2001:db8::1", "::1").
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family == b.family && a.bytes == b.bytes;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) { return !(a == b); }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return a.family != b.family ? a.family < b.family : a.bytes < b.bytes;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family, a.bytes);
  }
};

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

// TCP flag bits as in the header's 13th byte.
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;

struct DecodedPacket {
  // Capture time, microseconds since the Unix epoch.
  int64_t time_us = 0;
  // Index of the capture source (interface) the packet came from.
  uint32_t source_index = 0;
  // Outermost 802.1Q/802.1ad VLAN id, when tagged.
  bool has_vlan = false;
  uint16_t vlan_id = 0;

  IpAddress src;
  IpAddress dst;
  uint8_t ip_proto = 0;  // kIpProtoTcp or kIpProtoUdp after a successful decode

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  // TCP only.
  uint8_t tcp_flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;

  // Transport payload, trimmed to the IP length (Ethernet padding removed).
  absl::Span<const uint8_t> payload;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_PACKET_H_
