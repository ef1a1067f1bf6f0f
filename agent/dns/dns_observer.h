// Reports DNS lookups of watched query types (MX by default): who asked which
// server for which name, and what came back. One cleansweep.v1.Event with
// `dns` per query, whose `time` is the query's packet time.
//
// Input: UDP and TCP packets with port 53 on either side (the pipeline routes
// them here; packets without port 53 are ignored). Direction comes from the QR
// bit, not the ports: a query's client is its source, a response's client is
// its destination.
//
// Matching: a query of a watched type waits under (client ip, client port,
// server ip, server port, transport, id). The event is emitted
//   - when the matching response arrives (answered, rcode, MX exchanges and
//     other answers filled in);
//   - unanswered once `query_timeout_us` of packet time has passed (Advance),
//     or at Finish;
//   - at once, unanswered, for the oldest waiting query when more than
//     `max_pending_queries` wait (counted as "dns_pending_overflow").
// A response whose query was not captured (one-sided capture, capture started
// mid-way) still yields an event built from its question section: client is
// the response's destination, `dns.time` is left unset (query not seen) and
// `event.time` is the response time.
// Duplicates: a retransmitted query (same key while waiting, or within the
// timeout after its event) and a repeated response are absorbed, never
// reported twice.
//
// DNS over TCP: each segment's payload is a sequence of length-prefixed
// messages (RFC 1035 §4.2.2); several per segment are handled. A message split
// across segments is reassembled when the continuation is the next in-order
// segment of the same direction (bounded by one 65 KiB message per direction
// and `max_tcp_streams` directions); otherwise the partial bytes are dropped
// and counted as "dns_tcp_split_message".
//
// Malformed DNS is counted in AnomalyCounters under the parser's reason
// ("dns_bad_label", "dns_pointer_loop", ... see dns_parser.h) and skipped.
//
// Not thread-safe: one instance per pipeline thread. `sink` and `anomalies`
// are borrowed and must outlive the observer.
#ifndef CLEANSWEEP_AGENT_DNS_DNS_OBSERVER_H_
#define CLEANSWEEP_AGENT_DNS_DNS_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/decode/packet.h"
#include "agent/dns/dns_parser.h"
#include "agent/observers/observer.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::agent {

inline constexpr uint16_t kDnsPort = 53;

struct DnsObserverOptions {
  // QTYPEs reported; others are ignored. 15 = MX.
  std::vector<uint16_t> watched_qtypes = {kDnsTypeMx};
  // Packet time after which a query without response is reported unanswered.
  int64_t query_timeout_us = 5'000'000;
  // Queries waiting for a response at most; beyond, the oldest is reported.
  size_t max_pending_queries = 10000;
  // TCP directions holding a partial message at most.
  size_t max_tcp_streams = 1024;
};

class DnsObserver : public Observer {
 public:
  DnsObserver(const DnsObserverOptions& options, EventSink* sink, AnomalyCounters* anomalies);

  void OnPacket(const DecodedPacket& packet) override;
  void Advance(int64_t now_us) override;
  void Finish(int64_t now_us) override;

  // Queries currently waiting for a response (for tests and stats).
  size_t pending_queries() const { return pending_.size(); }

 private:
  struct Key {
    IpAddress client, server;
    uint16_t client_port = 0, server_port = 0;
    uint8_t proto = 0;
    uint16_t id = 0;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.client, k.server, k.client_port, k.server_port, k.proto,
                        k.id);
    }
  };
  struct Pending {
    int64_t query_us = 0;
    cleansweep::v1::Event event;  // dns.* filled from the query
  };
  // One direction of a TCP connection, for reassembling split messages.
  struct StreamKey {
    IpAddress src, dst;
    uint16_t src_port = 0, dst_port = 0;
    friend bool operator==(const StreamKey&, const StreamKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const StreamKey& k) {
      return H::combine(std::move(h), k.src, k.dst, k.src_port, k.dst_port);
    }
  };
  struct Partial {
    uint32_t next_seq = 0;
    int64_t last_us = 0;
    std::string bytes;
  };

  void OnTcp(const DecodedPacket& packet);
  void OnMessage(const DecodedPacket& packet, absl::Span<const uint8_t> bytes);
  void OnQuery(const DecodedPacket& packet, const DnsMessage& msg);
  void OnResponse(const DecodedPacket& packet, const DnsMessage& msg);
  bool Watched(uint16_t qtype) const;
  // Emits the waiting query under `key` (unanswered) and forgets it.
  void EmitUnanswered(const Key& key);
  void MarkDone(const Key& key, int64_t time_us);
  void Expire(int64_t now_us);

  DnsObserverOptions options_;
  EventSink* sink_;
  AnomalyCounters* anomalies_;
  absl::flat_hash_map<Key, Pending> pending_;
  // Waiting queries in arrival order; an entry is stale once its key is gone
  // or waits with a different query time.
  std::deque<std::pair<int64_t, Key>> pending_order_;
  // Keys whose event was emitted, until the given time: absorbs retransmitted
  // queries and repeated responses.
  absl::flat_hash_map<Key, int64_t> done_;
  std::deque<std::pair<int64_t, Key>> done_order_;
  absl::flat_hash_map<StreamKey, Partial> partial_;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DNS_DNS_OBSERVER_H_
