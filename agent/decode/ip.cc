// IPv4 and IPv6 dissectors.
//
// IPv4 header, RFC 791 section 3.1:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |Flags|      Fragment Offset    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (IHL > 5)          |    Padding    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IPv6 header, RFC 8200 section 3:
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Payload Length        |  Next Header  |   Hop Limit   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |              Source Address (16 bytes)                        |
//   |              Destination Address (16 bytes)                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IPv6 extension headers, RFC 8200 section 4 (hop-by-hop 0, routing 43,
// destination options 60; RFC 6564 generic format also used by 135/139/140):
//
//   |  Next Header  |  Hdr Ext Len  |  ... (Hdr Ext Len + 1) * 8 bytes in all
//
// Fragment header (44), RFC 8200 section 4.5, fixed 8 bytes:
//
//   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//   |                         Identification                        |
//
// Authentication header (51), RFC 4302 section 2: same first two bytes, but
// the length is (Payload Len + 2) * 4 bytes.
#include "agent/decode/ip.h"

#include "agent/decode/byte_reader.h"

namespace cleansweep::agent {
namespace {

constexpr size_t kIpv4MinHeaderLen = 20;
constexpr size_t kIpv6HeaderLen = 40;

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Esp = 50;
constexpr uint8_t kIpv6Auth = 51;
constexpr uint8_t kIpv6NoNext = 59;
constexpr uint8_t kIpv6DestOpts = 60;
constexpr uint8_t kIpv6Mobility = 135;
constexpr uint8_t kIpv6Hip = 139;
constexpr uint8_t kIpv6Shim6 = 140;

// Borrows data[begin, end) with end clamped to the span; begin <= size().
absl::Span<const uint8_t> Slice(absl::Span<const uint8_t> data, size_t begin, size_t end) {
  if (end > data.size()) end = data.size();
  if (begin > end) begin = end;
  return absl::Span<const uint8_t>(data.data() + begin, end - begin);
}

}  // namespace

LayerResult DecodeIpv4(absl::Span<const uint8_t> data, IpLayer* out) {
  ByteReader r(data);
  uint8_t version_ihl, tos, ttl, proto;
  uint16_t total_len, id, frag, checksum;
  if (!r.ReadU8(&version_ihl) || !r.ReadU8(&tos) || !r.ReadU16(&total_len) || !r.ReadU16(&id) ||
      !r.ReadU16(&frag) || !r.ReadU8(&ttl) || !r.ReadU8(&proto) || !r.ReadU16(&checksum)) {
    return LayerResult::Malformed("ipv4_truncated");
  }
  out->src = IpAddress();
  out->dst = IpAddress();
  out->src.family = 4;
  out->dst.family = 4;
  if (!r.ReadBytes(4, out->src.bytes.data()) || !r.ReadBytes(4, out->dst.bytes.data())) {
    return LayerResult::Malformed("ipv4_truncated");
  }
  if ((version_ihl >> 4) != 4) return LayerResult::Malformed("ipv4_bad_version");
  const size_t header_len = size_t{version_ihl & 0x0Fu} * 4;
  if (header_len < kIpv4MinHeaderLen) return LayerResult::Malformed("ipv4_bad_header_length");
  // Options are not interpreted (none changes where the payload starts).
  if (header_len > data.size()) return LayerResult::Malformed("ipv4_truncated");

  const char* counter = nullptr;
  size_t end = total_len;
  if (total_len == 0) {
    // TSO: the NIC fills the length in later; the capture saw zero.
    counter = "ipv4_total_length_zero";
    end = data.size();
  } else if (total_len < header_len) {
    return LayerResult::Malformed("ipv4_bad_total_length");
  }
  out->capture_truncated = end > data.size();
  out->proto = proto;
  out->payload = Slice(data, header_len, end);

  // Fragment offset in 8-byte units; non-zero means a later fragment without
  // the transport header. MF with offset 0 is a first fragment: decode it.
  if ((frag & 0x1FFF) != 0) return LayerResult::Ignored("ipv4_fragment");
  return {DecodeOutcome::kOk, counter};
}

LayerResult DecodeIpv6(absl::Span<const uint8_t> data, IpLayer* out) {
  ByteReader r(data);
  uint32_t vtcfl;
  uint16_t payload_len;
  uint8_t next, hop_limit;
  out->src = IpAddress();
  out->dst = IpAddress();
  out->src.family = 6;
  out->dst.family = 6;
  if (!r.ReadU32(&vtcfl) || !r.ReadU16(&payload_len) || !r.ReadU8(&next) ||
      !r.ReadU8(&hop_limit) || !r.ReadBytes(16, out->src.bytes.data()) ||
      !r.ReadBytes(16, out->dst.bytes.data())) {
    return LayerResult::Malformed("ipv6_truncated");
  }
  if ((vtcfl >> 28) != 6) return LayerResult::Malformed("ipv6_bad_version");

  const char* counter = nullptr;
  size_t end = kIpv6HeaderLen + payload_len;
  if (payload_len == 0) {
    counter = "ipv6_payload_length_zero";
    end = data.size();
  }
  out->capture_truncated = end > data.size();
  // Everything after the fixed header up to the stated length; the extension
  // chain is walked inside it.
  ByteReader ext(Slice(data, kIpv6HeaderLen, end));

  for (int count = 0;; ++count) {
    switch (next) {
      case kIpv6HopByHop:
      case kIpv6Routing:
      case kIpv6DestOpts:
      case kIpv6Mobility:
      case kIpv6Hip:
      case kIpv6Shim6:
      case kIpv6Auth: {
        if (count >= kMaxIpv6ExtensionHeaders) {
          return LayerResult::Malformed("ipv6_ext_chain_too_long");
        }
        uint8_t following, len_field;
        ByteReader peek = ext;
        if (!peek.ReadU8(&following) || !peek.ReadU8(&len_field)) {
          return LayerResult::Malformed("ipv6_ext_header_truncated");
        }
        const size_t len =
            next == kIpv6Auth ? (size_t{len_field} + 2) * 4 : (size_t{len_field} + 1) * 8;
        if (!ext.Skip(len)) return LayerResult::Malformed("ipv6_ext_header_truncated");
        next = following;
        break;
      }
      case kIpv6Fragment: {
        if (count >= kMaxIpv6ExtensionHeaders) {
          return LayerResult::Malformed("ipv6_ext_chain_too_long");
        }
        uint8_t following, reserved;
        uint16_t offset_flags;
        uint32_t ident;
        if (!ext.ReadU8(&following) || !ext.ReadU8(&reserved) || !ext.ReadU16(&offset_flags) ||
            !ext.ReadU32(&ident)) {
          return LayerResult::Malformed("ipv6_ext_header_truncated");
        }
        if ((offset_flags >> 3) != 0) return LayerResult::Ignored("ipv6_fragment");
        next = following;
        break;
      }
      default:
        // TCP, UDP, ICMPv6, ESP (50: encrypted, opaque), no next header (59),
        // or anything else: the chain ends here and the caller decides.
        static_assert(kIpv6Esp == 50 && kIpv6NoNext == 59);
        out->proto = next;
        out->payload = ext.Rest();
        return {DecodeOutcome::kOk, counter};
    }
  }
}

}  // namespace cleansweep::agent
