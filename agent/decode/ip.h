// Network-layer decoding: IPv4 (RFC 791) and IPv6 (RFC 8200) headers,
// including IPv4 options and the IPv6 extension-header chain. Pure functions
// over borrowed bytes; no allocation.
//
// Length policy (both versions):
//  - The upper-layer bytes are trimmed to the length the IP header states, so
//    Ethernet padding never reaches the transport decoder.
//  - If the stated length exceeds what was captured (snaplen truncation), the
//    captured bytes are used and `capture_truncated` is set. This is not
//    counted: capture sources know caplen < len and account for it; counting it
//    here would flood the counters on every snaplen-limited capture.
//  - IPv4 total length 0 (seen with TCP segmentation offload on the capturing
//    host) uses the captured length and counts "ipv4_total_length_zero";
//    IPv6 payload length 0 (jumbogram or offload) does the same with
//    "ipv6_payload_length_zero".
//  - Non-first fragments are Ignored("ipv4_fragment" / "ipv6_fragment"): with no
//    reassembly there are no ports. First fragments decode normally.
#ifndef CLEANSWEEP_AGENT_DECODE_IP_H_
#define CLEANSWEEP_AGENT_DECODE_IP_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/decode/layer_result.h"
#include "agent/decode/packet.h"

namespace cleansweep::agent {

// IPv6 extension headers walked before giving up ("ipv6_ext_chain_too_long").
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

struct IpLayer {
  IpAddress src;
  IpAddress dst;
  // Upper-layer protocol: the IPv4 protocol field, or the IPv6 next header at
  // the end of the extension chain (6 TCP, 17 UDP, 58 ICMPv6, 50 ESP, 59 none).
  uint8_t proto = 0;
  // Upper-layer bytes, trimmed to the stated IP length.
  absl::Span<const uint8_t> payload;
  // The stated length ran past the captured bytes.
  bool capture_truncated = false;
};

LayerResult DecodeIpv4(absl::Span<const uint8_t> data, IpLayer* out);
LayerResult DecodeIpv6(absl::Span<const uint8_t> data, IpLayer* out);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_IP_H_
