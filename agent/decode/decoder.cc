// Chains link → IP → transport. Each layer is a small pure function returning
// a LayerResult; this file only routes between them and does the counting, so
// the layers stay testable on their own.
#include "agent/decode/decoder.h"

#include "agent/decode/ip.h"
#include "agent/decode/transport.h"

namespace cleansweep::agent {
namespace {

inline void CountIfNamed(const LayerResult& r, AnomalyCounters* anomalies) {
  if (r.counter != nullptr && anomalies != nullptr) [[unlikely]] {
    anomalies->Count(r.counter);
  }
}

}  // namespace

DecodeOutcome DecodePacket(int link_type, absl::Span<const uint8_t> frame, DecodedPacket* out,
                           AnomalyCounters* anomalies) {
  LinkLayer link;
  LayerResult r = DecodeLinkLayer(link_type, frame, &link);
  CountIfNamed(r, anomalies);
  if (!r.ok()) return r.outcome;

  IpLayer ip;
  r = link.proto == NetworkProto::kIpv4 ? DecodeIpv4(link.payload, &ip)
                                        : DecodeIpv6(link.payload, &ip);
  CountIfNamed(r, anomalies);
  if (!r.ok()) return r.outcome;

  TransportLayer tp;
  if (ip.proto == kIpProtoTcp) {
    r = DecodeTcp(ip.payload, ip.capture_truncated, &tp);
  } else if (ip.proto == kIpProtoUdp) {
    r = DecodeUdp(ip.payload, ip.capture_truncated, &tp);
  } else {
    return DecodeOutcome::kIgnored;  // ICMP, ESP, GRE, SCTP, ...
  }
  CountIfNamed(r, anomalies);
  if (!r.ok()) return r.outcome;

  out->has_vlan = link.has_vlan;
  out->vlan_id = link.vlan_id;
  out->src = ip.src;
  out->dst = ip.dst;
  out->ip_proto = ip.proto;
  out->src_port = tp.src_port;
  out->dst_port = tp.dst_port;
  out->tcp_flags = tp.tcp_flags;
  out->seq = tp.seq;
  out->ack = tp.ack;
  out->payload = tp.payload;
  return DecodeOutcome::kOk;
}

}  // namespace cleansweep::agent
