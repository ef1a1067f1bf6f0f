// Link-layer dissectors.
//
// Ethernet II (IEEE 802.3, RFC 894), with IEEE 802.1Q / 802.1ad tags:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  Destination MAC (6 bytes)                    |
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//   |                     Source MAC (6 bytes)                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   EtherType / TPID (0x8100)   | PCP |D|  VLAN id (12 bits)    |  <- optional
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     tag(s)
//   |   EtherType (0x0800/0x86DD)   |  payload ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// BSD loopback, LINKTYPE_NULL (host byte order) and LINKTYPE_LOOP (network
// byte order) — https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html:
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Address family (AF_INET=2, AF_INET6=24/28/30/10)     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Linux cooked v1, LINKTYPE_LINUX_SLL (16 bytes) —
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html:
//
//   | packet type (2) | ARPHRD type (2) | addr length (2) | addr (8) | protocol (2) |
//
// Linux cooked v2, LINKTYPE_LINUX_SLL2 (20 bytes) —
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html:
//
//   | protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) | pkt type (1) |
//   | addr length (1) | addr (8) |
//
// Raw IP (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6): no link header.
#include "agent/decode/link_layer.h"

#include "agent/decode/byte_reader.h"

namespace cleansweep::agent {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kTpid8021Q = 0x8100;
constexpr uint16_t kTpid8021ad = 0x88A8;
constexpr uint16_t kTpidQinQLegacy = 0x9100;

constexpr size_t kEthernetHeaderLen = 14;
constexpr size_t kSllHeaderLen = 16;
constexpr size_t kSll2HeaderLen = 20;

bool IsVlanTpid(uint16_t t) {
  return t == kTpid8021Q || t == kTpid8021ad || t == kTpidQinQLegacy;
}

}  // namespace

LayerResult DecodeEtherType(uint16_t ethertype, absl::Span<const uint8_t> rest, LinkLayer* out) {
  ByteReader r(rest);
  out->has_vlan = false;
  out->vlan_id = 0;
  int tags = 0;
  while (IsVlanTpid(ethertype)) {
    if (++tags > kMaxVlanTags) return LayerResult::Malformed("vlan_too_deep");
    uint16_t tci;
    if (!r.ReadU16(&tci) || !r.ReadU16(&ethertype)) return LayerResult::Malformed("vlan_truncated");
    if (tags == 1) {
      out->has_vlan = true;
      out->vlan_id = tci & 0x0FFF;
    }
  }
  if (ethertype == kEtherTypeIpv4) {
    out->proto = NetworkProto::kIpv4;
  } else if (ethertype == kEtherTypeIpv6) {
    out->proto = NetworkProto::kIpv6;
  } else {
    // ARP, LLC lengths (< 0x0600), PPPoE, MPLS, LLDP...: not ours.
    return LayerResult::Ignored();
  }
  out->payload = r.Rest();
  return LayerResult::Ok();
}

LayerResult DecodeEthernet(absl::Span<const uint8_t> frame, LinkLayer* out) {
  ByteReader r(frame);
  uint16_t ethertype;
  if (!r.Skip(12) || !r.ReadU16(&ethertype)) return LayerResult::Malformed("ethernet_truncated");
  static_assert(kEthernetHeaderLen == 14);
  return DecodeEtherType(ethertype, r.Rest(), out);
}

LayerResult DecodeNullLoopback(absl::Span<const uint8_t> frame, LinkLayer* out) {
  ByteReader r(frame);
  uint32_t family;
  if (!r.ReadU32(&family)) return LayerResult::Malformed("null_truncated");
  // LINKTYPE_NULL stores the family in the capturing host's byte order, which
  // the file does not record; LOOP uses network order. Family values are
  // small, so whichever reading leaves the top half zero is the right one.
  if ((family & 0xFFFF0000u) != 0) {
    family = ((family & 0xFFu) << 24) | ((family & 0xFF00u) << 8) | ((family >> 8) & 0xFF00u) |
             (family >> 24);
  }
  out->has_vlan = false;
  out->vlan_id = 0;
  switch (family) {
    case 2:  // AF_INET everywhere
      out->proto = NetworkProto::kIpv4;
      break;
    case 10:  // AF_INET6 on Linux
    case 24:  // NetBSD, OpenBSD, BSD/OS
    case 28:  // FreeBSD, DragonFly
    case 30:  // macOS
      out->proto = NetworkProto::kIpv6;
      break;
    default:
      return LayerResult::Ignored();
  }
  out->payload = r.Rest();
  return LayerResult::Ok();
}

LayerResult DecodeLinuxSll(absl::Span<const uint8_t> frame, LinkLayer* out) {
  ByteReader r(frame);
  uint16_t protocol;
  if (!r.Skip(kSllHeaderLen - 2) || !r.ReadU16(&protocol)) {
    return LayerResult::Malformed("sll_truncated");
  }
  return DecodeEtherType(protocol, r.Rest(), out);
}

LayerResult DecodeLinuxSll2(absl::Span<const uint8_t> frame, LinkLayer* out) {
  ByteReader r(frame);
  uint16_t protocol;
  if (!r.ReadU16(&protocol) || !r.Skip(kSll2HeaderLen - 2)) {
    return LayerResult::Malformed("sll2_truncated");
  }
  return DecodeEtherType(protocol, r.Rest(), out);
}

LayerResult DecodeRawIp(absl::Span<const uint8_t> frame, LinkLayer* out) {
  ByteReader r(frame);
  uint8_t first;
  if (!r.ReadU8(&first)) return LayerResult::Malformed("raw_truncated");
  out->has_vlan = false;
  out->vlan_id = 0;
  switch (first >> 4) {
    case 4:
      out->proto = NetworkProto::kIpv4;
      break;
    case 6:
      out->proto = NetworkProto::kIpv6;
      break;
    default:
      return LayerResult::Malformed("raw_bad_version");
  }
  out->payload = frame;
  return LayerResult::Ok();
}

LayerResult DecodeLinkLayer(int link_type, absl::Span<const uint8_t> frame, LinkLayer* out) {
  switch (link_type) {
    case kLinkTypeEthernet:
      return DecodeEthernet(frame, out);
    case kLinkTypeNull:
    case kLinkTypeLoop:
      return DecodeNullLoopback(frame, out);
    case kLinkTypeLinuxSll:
      return DecodeLinuxSll(frame, out);
    case kLinkTypeLinuxSll2:
      return DecodeLinuxSll2(frame, out);
    case kLinkTypeRaw:
    case kLinkTypeDltRaw12:
    case kLinkTypeDltRaw14:
      return DecodeRawIp(frame, out);
    case kLinkTypeIpv4:
      out->has_vlan = false;
      out->vlan_id = 0;
      out->proto = NetworkProto::kIpv4;
      out->payload = frame;
      return LayerResult::Ok();
    case kLinkTypeIpv6:
      out->has_vlan = false;
      out->vlan_id = 0;
      out->proto = NetworkProto::kIpv6;
      out->payload = frame;
      return LayerResult::Ok();
    default:
      return LayerResult::Malformed("unknown_link_type");
  }
}

}  // namespace cleansweep::agent
