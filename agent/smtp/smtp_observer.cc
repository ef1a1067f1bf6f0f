#include "agent/smtp/smtp_observer.h"

#include <algorithm>
#include <utility>

#include "agent/observers/event_util.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::ConnectionOutcome;

// Adapts one direction of a connection to the dialogue.
class DirectionSink : public StreamConsumer {
 public:
  DirectionSink(SmtpDialogue* dialogue, bool client, int64_t time_us)
      : dialogue_(dialogue), client_(client), time_us_(time_us) {}
  void OnData(absl::string_view bytes) override {
    if (client_) {
      dialogue_->OnClientData(bytes, time_us_);
    } else {
      dialogue_->OnServerData(bytes, time_us_);
    }
  }
  void OnGap(uint64_t missing) override {
    if (client_) {
      dialogue_->OnClientGap(missing);
    } else {
      dialogue_->OnServerGap(missing);
    }
  }

 private:
  SmtpDialogue* dialogue_;
  bool client_;
  int64_t time_us_;
};

}  // namespace

struct SmtpObserver::Conn {
  Conn(const Key& k, int64_t time_us, const TcpReassembler::Options& ro, ReassemblyBudget* budget,
       const SmtpDialogueLimits& limits, AnomalyCounters* anomalies)
      : key(k),
        start_us(time_us),
        last_us(time_us),
        client_stream(ro, budget),
        server_stream(ro, budget),
        dialogue(limits, anomalies) {}

  Key key;
  int64_t start_us;
  int64_t last_us;
  bool client_syn = false;
  uint32_t client_isn = 0;
  bool server_synack = false;
  bool refused = false;  // the server's RST came before any sign of life
  bool closed = false;   // reported; kept only to absorb stragglers
  TcpReassembler client_stream;
  TcpReassembler server_stream;
  SmtpDialogue dialogue;
};

SmtpObserver::SmtpObserver(const SmtpObserverOptions& options, EventSink* sink,
                           AnomalyCounters* anomalies)
    : options_(options), sink_(sink), anomalies_(anomalies) {
  for (uint16_t p : options_.ports) watched_.set(p);
  for (uint16_t p : options_.implicit_tls_ports) implicit_tls_.set(p);
  budget_.limit = options_.max_buffered_total;
}

SmtpObserver::~SmtpObserver() = default;

SmtpObserver::Conn* SmtpObserver::Create(const Key& key, int64_t time_us) {
  if (conns_.size() >= options_.max_connections) {
    anomalies_->Count("smtp_connection_table_full");
    return nullptr;
  }
  TcpReassembler::Options ro;
  ro.max_buffered_bytes = options_.max_buffered_per_direction;
  SmtpDialogueLimits limits;
  limits.max_rcpt_per_transaction = options_.max_rcpt_per_transaction;
  limits.max_transactions = options_.max_transactions_per_session;
  limits.max_line = options_.max_line;
  auto conn = std::make_unique<Conn>(key, time_us, ro, &budget_, limits, anomalies_);
  if (implicit_tls_.test(key.server_port)) conn->dialogue.SetImplicitTls();
  Conn* raw = conn.get();
  conns_[key] = std::move(conn);
  return raw;
}

void SmtpObserver::OnPacket(const DecodedPacket& p) {
  if (p.ip_proto != kIpProtoTcp) return;
  const bool syn = p.tcp_flags & kTcpSyn;
  const bool ack = p.tcp_flags & kTcpAck;
  const Key fwd{p.src, p.dst, p.src_port, p.dst_port};  // as if src were the client
  const Key rev{p.dst, p.src, p.dst_port, p.src_port};

  Conn* conn = nullptr;
  bool from_client = true;
  if (auto it = conns_.find(fwd); it != conns_.end()) {
    conn = it->second.get();
  } else if (auto it2 = conns_.find(rev); it2 != conns_.end()) {
    conn = it2->second.get();
    from_client = false;
  }

  if (conn != nullptr && from_client && syn && !ack &&
      (conn->closed ||
       (conn->client_syn ? p.seq != conn->client_isn : conn->client_stream.started()))) {
    // A fresh SYN on a known 4-tuple: a new connection (port reuse), unless
    // it merely repeats the SYN we have (or follows a SYN-ACK captured first).
    if (!conn->closed) {
      if (conn->client_syn || conn->client_stream.delivered_bytes() > 0 ||
          conn->server_stream.delivered_bytes() > 0) {
        Close(conn, "reused");
      } else {
        conn->closed = true;  // an empty midstream entry: nothing to report
      }
    }
    conns_.erase(conn->key);
    conn = nullptr;
  }
  if (conn != nullptr && conn->closed) return;  // straggler after the close

  if (conn == nullptr) {
    // Only a SYN or data opens a connection: bare ACKs, FINs and RSTs of
    // connections we never saw (or already forgot) are not worth a report.
    if (!syn && p.payload.empty()) return;
    Key key;
    if (syn) {
      key = ack ? rev : fwd;  // the SYN sender is the client
      // A connection *from* an SMTP port to another port is not SMTP (a scan
      // using source port 25 to slip through firewalls, say).
      if (!watched_.test(key.server_port)) return;
    } else if (watched_.test(p.dst_port) && !watched_.test(p.src_port)) {
      key = fwd;
    } else if (watched_.test(p.src_port) && !watched_.test(p.dst_port)) {
      key = rev;
    } else if (watched_.test(p.dst_port)) {
      key = fwd;  // both ends on SMTP ports (server to server): assume toward dst
    } else {
      return;  // not an SMTP port at all: not ours
    }
    from_client = key == fwd;
    conn = Create(key, p.time_us);
    if (conn == nullptr) return;
  }
  Feed(conn, from_client, p);
}

void SmtpObserver::Feed(Conn* conn, bool from_client, const DecodedPacket& p) {
  const bool syn = p.tcp_flags & kTcpSyn;
  const bool ack = p.tcp_flags & kTcpAck;
  const bool rst = p.tcp_flags & kTcpRst;
  conn->last_us = p.time_us;
  if (from_client && syn && !ack && !conn->client_syn) {
    conn->client_syn = true;
    conn->client_isn = p.seq;
  }
  if (!from_client && syn && ack) conn->server_synack = true;

  const absl::string_view payload(reinterpret_cast<const char*>(p.payload.data()),
                                  p.payload.size());
  if (rst) {
    if (!from_client && !conn->server_synack && conn->server_stream.delivered_bytes() == 0 &&
        conn->client_stream.delivered_bytes() == 0) {
      conn->refused = true;
    }
    // Data on a RST is not part of the stream (RFC 1122 4.2.2.12 diagnostics).
    Close(conn, "rst");
    return;
  }
  if (from_client) {
    DirectionSink sink(&conn->dialogue, /*client=*/true, p.time_us);
    conn->client_stream.OnSegment(p.seq, p.tcp_flags, payload, &sink);
  } else {
    DirectionSink sink(&conn->dialogue, /*client=*/false, p.time_us);
    conn->server_stream.OnSegment(p.seq, p.tcp_flags, payload, &sink);
  }
  if (conn->client_stream.fin_reached() && conn->server_stream.fin_reached()) {
    Close(conn, "fin");
  }
}

ConnectionOutcome SmtpObserver::Outcome(const Conn& c) const {
  if (c.refused) return cleansweep::v1::CONNECTION_OUTCOME_REFUSED;
  if (c.server_synack) return cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
  const bool client_data = c.client_stream.delivered_bytes() + c.client_stream.missing_bytes() > 0;
  const bool server_data = c.server_stream.delivered_bytes() + c.server_stream.missing_bytes() > 0;
  if (c.client_syn) {
    // The SYN-ACK was not captured but the server evidently answered.
    if (server_data) return cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
    if (!client_data) return cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER;
  }
  return cleansweep::v1::CONNECTION_OUTCOME_MIDSTREAM;
}

void SmtpObserver::Close(Conn* conn, const char* end_reason) {
  if (conn->closed) return;
  conn->closed = true;
  {
    DirectionSink client_sink(&conn->dialogue, /*client=*/true, conn->last_us);
    conn->client_stream.Flush(&client_sink);
    DirectionSink server_sink(&conn->dialogue, /*client=*/false, conn->last_us);
    conn->server_stream.Flush(&server_sink);
  }
  cleansweep::v1::Event event;
  SetTimestamp(conn->start_us, event.mutable_time());
  cleansweep::v1::SmtpSession* s = event.mutable_smtp();
  *s = conn->dialogue.session();
  SetEndpoint(conn->key.client, conn->key.client_port, s->mutable_client());
  SetEndpoint(conn->key.server, conn->key.server_port, s->mutable_server());
  SetTimestamp(conn->start_us, s->mutable_start_time());
  SetTimestamp(conn->last_us, s->mutable_end_time());
  s->set_outcome(Outcome(*conn));
  s->set_client_bytes(conn->client_stream.delivered_bytes());
  s->set_server_bytes(conn->server_stream.delivered_bytes());
  s->set_client_seen(conn->client_stream.delivered_bytes() > 0);
  s->set_server_seen(conn->server_stream.delivered_bytes() > 0);
  s->set_missing_bytes(conn->client_stream.missing_bytes() + conn->server_stream.missing_bytes());
  s->set_end_reason(end_reason);
  if (conn->client_stream.missing_bytes() + conn->server_stream.missing_bytes() > 0) {
    anomalies_->Count("smtp_stream_gap");
  }
  // Release the reassembly buffers now; only the tombstone stays.
  conn->client_stream = TcpReassembler();
  conn->server_stream = TcpReassembler();
  sink_->Emit(std::move(event));
}

void SmtpObserver::Advance(int64_t now_us) {
  // Sweeping the table is O(connections): once per second of packet time is enough.
  if (now_us - last_sweep_us_ < 1'000'000) return;
  last_sweep_us_ = now_us;
  std::vector<Key> forget;
  for (auto& [key, conn] : conns_) {
    Conn* c = conn.get();
    const int64_t idle = now_us - c->last_us;
    if (c->closed) {
      if (idle >= options_.close_linger_us) forget.push_back(key);
      continue;
    }
    const bool only_syn = c->client_syn && !c->server_synack &&
                          c->client_stream.delivered_bytes() == 0 &&
                          c->server_stream.delivered_bytes() == 0;
    if ((only_syn && idle >= options_.syn_timeout_us) || idle >= options_.idle_timeout_us) {
      Close(c, "timeout");
      forget.push_back(key);
    } else if (c->client_stream.fin_seen() && c->server_stream.fin_seen() &&
               idle >= options_.close_linger_us) {
      Close(c, "fin");  // holes before the FINs were never filled
    }
  }
  for (const Key& k : forget) conns_.erase(k);
}

void SmtpObserver::Finish(int64_t now_us) {
  // Report in start order so output is stable.
  std::vector<Conn*> open;
  for (auto& [key, conn] : conns_) {
    if (!conn->closed) open.push_back(conn.get());
  }
  std::sort(open.begin(), open.end(), [](const Conn* a, const Conn* b) {
    if (a->start_us != b->start_us) return a->start_us < b->start_us;
    return a->key.client_port < b->key.client_port;
  });
  for (Conn* c : open) {
    const bool fins = c->client_stream.fin_seen() && c->server_stream.fin_seen();
    Close(c, fins ? "fin" : "capture_end");
  }
  conns_.clear();
}

}  // namespace cleansweep::agent
