// Turns TCP connections to watched SMTP ports into SmtpSession events: one
// event per connection, emitted when it ends (FIN both ways, RST, idle
// timeout via Advance, or Finish at the end of the capture); event.time is the
// connection's first packet.
//
// The client is the side talking to the SMTP port (the SYN sender when the
// handshake was captured). Each direction is reassembled (TcpReassembler) so
// retransmitted and out-of-order segments are counted and parsed once; the
// SMTP conversation itself is followed by SmtpDialogue.
//
// Outcome: NO_ANSWER (SYN only; retransmitted SYNs are one connection),
// REFUSED (RST answering the SYN), ESTABLISHED (SYN-ACK seen, or data back
// after a captured SYN), MIDSTREAM (handshake not captured).
//
// A connection on an implicit-TLS port (465) is marked implicit_tls and not
// parsed. After a FIN/RST close the connection is kept for `close_linger_us`
// to absorb late retransmissions; a new SYN with another ISN starts a new
// connection (the old one is reported with end_reason "reused" if still open).
//
// Memory: at most `max_connections` connections (more are counted as the
// anomaly "smtp_connection_table_full" and not tracked), out-of-order bytes
// capped per direction and in total, line buffers capped.
//
// Single-threaded (see Observer). `sink` and `anomalies` are not owned and
// must outlive the observer.
#ifndef CLEANSWEEP_AGENT_SMTP_SMTP_OBSERVER_H_
#define CLEANSWEEP_AGENT_SMTP_SMTP_OBSERVER_H_

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/flow/tcp_reassembler.h"
#include "agent/observers/observer.h"
#include "agent/smtp/smtp_dialogue.h"

namespace cleansweep::agent {

struct SmtpObserverOptions {
  std::vector<uint16_t> ports = {25, 465, 587, 2525};
  std::vector<uint16_t> implicit_tls_ports = {465};
  uint32_t max_rcpt_per_transaction = 100;
  uint32_t max_transactions_per_session = 50;
  // Packet time without any packet after which a connection is reported.
  int64_t idle_timeout_us = 300'000'000;
  // A SYN nobody answered is reported as NO_ANSWER after this long.
  int64_t syn_timeout_us = 30'000'000;
  // Both FINs seen but data before them missing: wait this long for
  // retransmissions, then report. Also how long a closed connection is
  // remembered to absorb stragglers.
  int64_t close_linger_us = 10'000'000;
  size_t max_connections = 65536;
  size_t max_buffered_per_direction = 64 * 1024;
  size_t max_buffered_total = 64 * 1024 * 1024;
  size_t max_line = 4096;
};

class SmtpObserver : public Observer {
 public:
  SmtpObserver(const SmtpObserverOptions& options, EventSink* sink, AnomalyCounters* anomalies);
  ~SmtpObserver() override;

  void OnPacket(const DecodedPacket& packet) override;
  void Advance(int64_t now_us) override;
  void Finish(int64_t now_us) override;

  // Connections currently tracked (open or lingering after close).
  size_t connection_count() const { return conns_.size(); }

 private:
  struct Key {
    IpAddress client, server;
    uint16_t client_port = 0, server_port = 0;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.client, k.server, k.client_port, k.server_port);
    }
  };
  struct Conn;

  Conn* Create(const Key& key, int64_t time_us);
  void Feed(Conn* conn, bool from_client, const DecodedPacket& p);
  // Reports the connection and marks it closed.
  void Close(Conn* conn, const char* end_reason);
  cleansweep::v1::ConnectionOutcome Outcome(const Conn& conn) const;

  SmtpObserverOptions options_;
  std::bitset<65536> watched_;
  std::bitset<65536> implicit_tls_;
  EventSink* sink_;
  AnomalyCounters* anomalies_;
  ReassemblyBudget budget_;  // declared before conns_: outlives the reassemblers
  absl::flat_hash_map<Key, std::unique_ptr<Conn>> conns_;
  int64_t last_sweep_us_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SMTP_SMTP_OBSERVER_H_
