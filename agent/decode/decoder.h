// DecodePacket: one captured frame → DecodedPacket (addresses, ports, TCP
// flags/sequence numbers, trimmed payload). The per-packet entry point of the
// agent; the layer decoders it chains live in link_layer.h, ip.h, transport.h.
//
// Contract:
//  - Pure function over `frame`; `out->payload` borrows from `frame`, so it is
//    valid only while the capture buffer is.
//  - Never allocates on success or ignore, never throws, never aborts on any
//    input (fuzzed: decoder_fuzz.cc). Counting an anomaly may allocate the
//    counter's map entry the first time a name is seen.
//  - Thread-compatible: concurrent calls are fine with distinct `out` and
//    `anomalies`.
//
// Outcomes:
//  kOk        IPv4/IPv6 carrying TCP or UDP; every field of `out` except
//             time_us and source_index (left for the caller) is overwritten.
//  kIgnored   well-formed but nothing for the observers: ARP and other
//             EtherTypes, ICMP, ESP, other IP protocols, non-first fragments.
//             Non-first fragments are also counted ("ipv4_fragment",
//             "ipv6_fragment") because they hide ports from the observers.
//  kMalformed counted in `anomalies` under a snake_case name, e.g.
//             ethernet_truncated, vlan_truncated, vlan_too_deep, null_truncated,
//             sll_truncated, sll2_truncated, raw_truncated, raw_bad_version,
//             ipv4_truncated, ipv4_bad_version, ipv4_bad_header_length,
//             ipv4_bad_total_length, ipv6_truncated, ipv6_bad_version,
//             ipv6_ext_header_truncated, ipv6_ext_chain_too_long,
//             tcp_truncated, tcp_bad_data_offset, udp_truncated,
//             udp_bad_length, unknown_link_type (every frame of a capture whose
//             link type is unsupported).
//  Tolerated oddities are counted without failing the decode:
//  "ipv4_total_length_zero", "ipv6_payload_length_zero" (offload; the
//  captured length is used instead).
//  On kIgnored/kMalformed the contents of `out` are unspecified.
//  `anomalies` may be null (nothing is counted).
#ifndef CLEANSWEEP_AGENT_DECODE_DECODER_H_
#define CLEANSWEEP_AGENT_DECODE_DECODER_H_

#include <cstdint>

#include "absl/types/span.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/decode/layer_result.h"
#include "agent/decode/link_layer.h"
#include "agent/decode/packet.h"

namespace cleansweep::agent {

// `link_type` is the pcap LINKTYPE_* (or platform DLT_RAW) value of the
// capture: see link_layer.h for the supported list.
DecodeOutcome DecodePacket(int link_type, absl::Span<const uint8_t> frame, DecodedPacket* out,
                           AnomalyCounters* anomalies);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_DECODER_H_
