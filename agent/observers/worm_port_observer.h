// Reports each connection attempt to a watched worm-associated port (Mydoom's
// 3127-3198 backdoor, Sasser's 445, Blaster's 135 and udp 69, ...): endpoints,
// port, outcome. One event per attempt; retransmitted SYNs are counted inside
// the attempt, not reported again.
//
// TCP: a SYN without ACK to a watched port opens an attempt; SYN-ACK from the
// server makes it established, RST refused; no answer within `syn_timeout`
// leaves it unanswered. UDP: the first datagram to a watched port opens an
// attempt; any datagram back makes it established.
//
// Memory is bounded by `max_pending`; attempts beyond it are counted as the
// anomaly "worm_port_table_full" and not tracked.
#ifndef CLEANSWEEP_AGENT_OBSERVERS_WORM_PORT_OBSERVER_H_
#define CLEANSWEEP_AGENT_OBSERVERS_WORM_PORT_OBSERVER_H_

#include <bitset>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/observers/observer.h"
#include "agent/observers/watch_config.h"

namespace cleansweep::agent {

struct WormPortOptions {
  std::vector<PortRange> tcp_ports;
  std::vector<PortRange> udp_ports;
  int64_t syn_timeout_us = 30'000'000;
  int64_t udp_timeout_us = 30'000'000;
  size_t max_pending = 65536;
};

class WormPortObserver : public Observer {
 public:
  // `sink` and `anomalies` must outlive the observer.
  WormPortObserver(const WormPortOptions& options, EventSink* sink, AnomalyCounters* anomalies);

  void OnPacket(const DecodedPacket& packet) override;
  void Advance(int64_t now_us) override;
  void Finish(int64_t now_us) override;

 private:
  struct Key {
    IpAddress client, server;
    uint16_t client_port = 0, server_port = 0;
    uint8_t proto = 0;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.client, k.server, k.client_port, k.server_port, k.proto);
    }
  };
  struct Attempt {
    int64_t first_us = 0;
    int64_t last_us = 0;
    uint32_t attempts = 0;
    bool reported = false;  // outcome known and emitted; kept to absorb late retransmissions
  };

  void Open(const Key& key, int64_t time_us);
  void Resolve(const Key& key, cleansweep::v1::ConnectionOutcome outcome);
  void Emit(const Key& key, const Attempt& a, cleansweep::v1::ConnectionOutcome outcome);
  void EmitUnanswered(std::vector<std::pair<Key, Attempt>> attempts);

  WormPortOptions options_;
  std::bitset<65536> tcp_watch_;
  std::bitset<65536> udp_watch_;
  EventSink* sink_;
  AnomalyCounters* anomalies_;
  absl::flat_hash_map<Key, Attempt> attempts_;
  int64_t last_sweep_us_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_WORM_PORT_OBSERVER_H_
