// Link-layer decoding: strips the capture's link header (Ethernet with VLAN
// tags, BSD loopback, Linux cooked v1/v2, raw IP) and says which network
// protocol follows. Pure functions over borrowed bytes; no allocation.
//
// Errors: malformed headers return LayerResult::Malformed("<name>"); frames
// carrying anything but IPv4/IPv6 (ARP, LLC, PPPoE, ...) return Ignored().
#ifndef CLEANSWEEP_AGENT_DECODE_LINK_LAYER_H_
#define CLEANSWEEP_AGENT_DECODE_LINK_LAYER_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/decode/layer_result.h"

namespace cleansweep::agent {

// pcap LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) we decode.
// 12 and 14 are the platform DLT_RAW values that live captures report.
inline constexpr int kLinkTypeNull = 0;
inline constexpr int kLinkTypeEthernet = 1;
inline constexpr int kLinkTypeDltRaw12 = 12;
inline constexpr int kLinkTypeDltRaw14 = 14;
inline constexpr int kLinkTypeRaw = 101;
inline constexpr int kLinkTypeLoop = 108;
inline constexpr int kLinkTypeLinuxSll = 113;
inline constexpr int kLinkTypeIpv4 = 228;
inline constexpr int kLinkTypeIpv6 = 229;
inline constexpr int kLinkTypeLinuxSll2 = 276;

// VLAN tags accepted in a stack (802.1ad QinQ is 2; more is unusual). A
// fifth tag is "vlan_too_deep".
inline constexpr int kMaxVlanTags = 4;

enum class NetworkProto : uint8_t { kIpv4, kIpv6 };

struct LinkLayer {
  NetworkProto proto = NetworkProto::kIpv4;
  // The network-layer bytes (IP header onwards; may still carry link padding).
  absl::Span<const uint8_t> payload;
  bool has_vlan = false;
  uint16_t vlan_id = 0;  // outermost tag's 12-bit VLAN id
};

// Dispatches on `link_type`. An unsupported link type is
// Malformed("unknown_link_type"): every frame of such a capture is counted, so
// a misconfigured source is loud in --stats and heartbeats.
LayerResult DecodeLinkLayer(int link_type, absl::Span<const uint8_t> frame, LinkLayer* out);

// The individual link decoders, exposed for tests.
LayerResult DecodeEthernet(absl::Span<const uint8_t> frame, LinkLayer* out);
LayerResult DecodeNullLoopback(absl::Span<const uint8_t> frame, LinkLayer* out);
LayerResult DecodeLinuxSll(absl::Span<const uint8_t> frame, LinkLayer* out);
LayerResult DecodeLinuxSll2(absl::Span<const uint8_t> frame, LinkLayer* out);
// Raw IP: the version nibble chooses IPv4 or IPv6 ("raw_bad_version" otherwise).
LayerResult DecodeRawIp(absl::Span<const uint8_t> frame, LinkLayer* out);
// Walks 802.1Q/802.1ad/0x9100 tags starting at `ethertype` (already read) and
// maps the final EtherType. Shared by Ethernet and Linux cooked captures.
LayerResult DecodeEtherType(uint16_t ethertype, absl::Span<const uint8_t> rest, LinkLayer* out);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_LINK_LAYER_H_
