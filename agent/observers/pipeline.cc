#include "agent/observers/pipeline.h"

#include "agent/decode/decoder.h"

namespace cleansweep::agent {
namespace {
// Observers are told the time at most this often; their timeouts are seconds.
constexpr int64_t kAdvanceEveryUs = 1'000'000;
}  // namespace

Pipeline::Pipeline(const WatchConfig& config, EventSink* sink,
                   ConnectionStartListener* connection_starts)
    : sink_(sink), connection_starts_(connection_starts) {
  Build(config);
}

Pipeline::~Pipeline() = default;

void Pipeline::Build(const WatchConfig& config) {
  config_ = config;
  observers_ = MakeObservers(config_, sink_, &anomalies_);
  tcp_routes_.fill(0);
  udp_routes_.fill(0);
  for (uint16_t p : config_.smtp_ports) tcp_routes_[p] |= kRouteSmtp;
  for (const auto& r : config_.worm_tcp_ports) {
    for (uint32_t p = r.first; p <= r.last; ++p) tcp_routes_[p] |= kRouteWorm;
  }
  for (const auto& r : config_.worm_udp_ports) {
    for (uint32_t p = r.first; p <= r.last; ++p) udp_routes_[p] |= kRouteWorm;
  }
  tcp_routes_[53] |= kRouteDns;
  udp_routes_[53] |= kRouteDns;
}

void Pipeline::OnFrame(int link_type, uint32_t source_index, int64_t time_us,
                       absl::Span<const uint8_t> frame) {
  ++stats_.packets;
  stats_.bytes += frame.size();
  DecodedPacket packet;
  switch (DecodePacket(link_type, frame, &packet, &anomalies_)) {
    case DecodeOutcome::kOk:
      break;
    case DecodeOutcome::kIgnored:
      ++stats_.ignored;
      return;
    case DecodeOutcome::kMalformed:
      ++stats_.malformed;
      return;
  }
  ++stats_.decoded;
  packet.time_us = time_us;
  packet.source_index = source_index;
  if (time_us > last_time_us_) last_time_us_ = time_us;

  const auto& routes = packet.ip_proto == kIpProtoTcp ? tcp_routes_ : udp_routes_;
  const uint8_t route = routes[packet.src_port] | routes[packet.dst_port];
  if (connection_starts_ != nullptr && packet.ip_proto == kIpProtoTcp &&
      (packet.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn &&
      (tcp_routes_[packet.dst_port] & kRouteSmtp)) {
    connection_starts_->OnSmtpConnectionStart(packet);
  }
  if (route != 0) {
    for (auto& o : observers_) {
      if (o.route & route) o.observer->OnPacket(packet);
    }
  }
  if (last_time_us_ - last_advance_us_ >= kAdvanceEveryUs) Advance(last_time_us_);
}

void Pipeline::Advance(int64_t now_us) {
  last_advance_us_ = now_us;
  for (auto& o : observers_) o.observer->Advance(now_us);
}

void Pipeline::Finish(int64_t now_us) {
  for (auto& o : observers_) o.observer->Finish(now_us);
}

void Pipeline::Reconfigure(const WatchConfig& config, int64_t now_us) {
  Finish(now_us);
  Build(config);
}

}  // namespace cleansweep::agent
