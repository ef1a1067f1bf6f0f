#include "agent/observers/worm_port_observer.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "agent/observers/event_util.h"

namespace cleansweep::agent {
namespace {
using cleansweep::v1::ConnectionOutcome;
}  // namespace

WormPortObserver::WormPortObserver(const WormPortOptions& options, EventSink* sink,
                                   AnomalyCounters* anomalies)
    : options_(options), sink_(sink), anomalies_(anomalies) {
  for (const auto& r : options_.tcp_ports) {
    for (uint32_t p = r.first; p <= r.last; ++p) tcp_watch_.set(p);
  }
  for (const auto& r : options_.udp_ports) {
    for (uint32_t p = r.first; p <= r.last; ++p) udp_watch_.set(p);
  }
}

void WormPortObserver::OnPacket(const DecodedPacket& p) {
  if (p.ip_proto == kIpProtoTcp) {
    const bool syn = p.tcp_flags & kTcpSyn;
    const bool ack = p.tcp_flags & kTcpAck;
    const bool rst = p.tcp_flags & kTcpRst;
    if (syn && !ack && tcp_watch_.test(p.dst_port)) {
      Open(Key{p.src, p.dst, p.src_port, p.dst_port, kIpProtoTcp}, p.time_us);
      return;
    }
    if (tcp_watch_.test(p.src_port) && (rst || (syn && ack))) {
      Key key{p.dst, p.src, p.dst_port, p.src_port, kIpProtoTcp};
      Resolve(key, rst ? cleansweep::v1::CONNECTION_OUTCOME_REFUSED
                       : cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
    }
    return;
  }
  if (p.ip_proto == kIpProtoUdp) {
    if (udp_watch_.test(p.dst_port)) {
      Key reply{p.dst, p.src, p.dst_port, p.src_port, kIpProtoUdp};
      // A datagram from the watched port back to a client we saw is an answer,
      // not a new attempt (both ends may use the same port, e.g. 69 ↔ 69).
      if (udp_watch_.test(p.src_port) && attempts_.contains(reply)) {
        Resolve(reply, cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
        return;
      }
      Open(Key{p.src, p.dst, p.src_port, p.dst_port, kIpProtoUdp}, p.time_us);
      return;
    }
    if (udp_watch_.test(p.src_port)) {
      Resolve(Key{p.dst, p.src, p.dst_port, p.src_port, kIpProtoUdp},
              cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
    }
  }
}

void WormPortObserver::Open(const Key& key, int64_t time_us) {
  auto it = attempts_.find(key);
  if (it != attempts_.end()) {
    // Retransmitted SYN or a further datagram of the same attempt.
    it->second.attempts++;
    it->second.last_us = time_us;
    return;
  }
  if (attempts_.size() >= options_.max_pending) {
    anomalies_->Count("worm_port_table_full");
    return;
  }
  attempts_.emplace(key, Attempt{time_us, time_us, 1, false});
}

void WormPortObserver::Resolve(const Key& key, ConnectionOutcome outcome) {
  auto it = attempts_.find(key);
  if (it == attempts_.end() || it->second.reported) return;
  Emit(key, it->second, outcome);
  it->second.reported = true;
}

void WormPortObserver::Emit(const Key& key, const Attempt& a, ConnectionOutcome outcome) {
  cleansweep::v1::Event event;
  SetTimestamp(a.first_us, event.mutable_time());
  auto* c = event.mutable_worm_port();
  SetEndpoint(key.client, key.client_port, c->mutable_client());
  SetEndpoint(key.server, key.server_port, c->mutable_server());
  c->set_transport(key.proto == kIpProtoTcp ? cleansweep::v1::TRANSPORT_TCP
                                            : cleansweep::v1::TRANSPORT_UDP);
  SetTimestamp(a.first_us, c->mutable_time());
  c->set_outcome(outcome);
  c->set_attempts(a.attempts);
  sink_->Emit(std::move(event));
}

void WormPortObserver::Advance(int64_t now_us) {
  // Sweeping the table is O(n); once per second of packet time is plenty.
  if (now_us - last_sweep_us_ < 1'000'000) return;
  last_sweep_us_ = now_us;
  std::vector<std::pair<Key, Attempt>> expired;
  for (const auto& [key, a] : attempts_) {
    int64_t timeout = key.proto == kIpProtoTcp ? options_.syn_timeout_us : options_.udp_timeout_us;
    if (now_us - a.last_us >= timeout) expired.emplace_back(key, a);
  }
  for (const auto& [key, a] : expired) attempts_.erase(key);
  EmitUnanswered(std::move(expired));
}

void WormPortObserver::Finish(int64_t now_us) {
  std::vector<std::pair<Key, Attempt>> pending(attempts_.begin(), attempts_.end());
  attempts_.clear();
  EmitUnanswered(std::move(pending));
}

void WormPortObserver::EmitUnanswered(std::vector<std::pair<Key, Attempt>> attempts) {
  // Hash-table order is arbitrary; the same capture must give the same output.
  std::sort(attempts.begin(), attempts.end(), [](const auto& x, const auto& y) {
    return std::tie(x.second.first_us, x.first.client, x.first.client_port, x.first.server,
                    x.first.server_port) < std::tie(y.second.first_us, y.first.client,
                                                    y.first.client_port, y.first.server,
                                                    y.first.server_port);
  });
  for (const auto& [key, a] : attempts) {
    if (!a.reported) Emit(key, a, cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER);
  }
}

}  // namespace cleansweep::agent
