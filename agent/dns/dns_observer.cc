#include "agent/dns/dns_observer.h"

#include <algorithm>

#include "agent/observers/event_util.h"

namespace cleansweep::agent {
namespace {

// Largest DNS-over-TCP frame: the 2-byte prefix and a 65535-byte message.
constexpr size_t kMaxTcpFrame = 2 + 65535;
constexpr uint8_t kOpcodeQuery = 0;

// Copies the response's verdict and answer data into the event.
void FillAnswer(const DnsMessage& msg, int64_t time_us, cleansweep::v1::DnsQuery* dns) {
  dns->set_answered(true);
  dns->set_rcode(msg.rcode);
  dns->set_rcode_name(DnsRcodeName(msg.rcode));
  SetTimestamp(time_us, dns->mutable_answer_time());
  for (const DnsRecord& rec : msg.answers) {
    switch (rec.type) {
      case kDnsTypeMx: {
        cleansweep::v1::MxExchange* mx = dns->add_mx();
        mx->set_preference(rec.mx_preference);
        mx->set_exchange(rec.target);
        break;
      }
      case kDnsTypeA:
      case kDnsTypeAaaa:
        dns->add_answers(rec.address);
        break;
      case kDnsTypeCname:
      case kDnsTypeNs:
      case kDnsTypePtr:
        dns->add_answers(rec.target);
        break;
      default:
        break;  // not decoded: nothing useful to show as text
    }
  }
}

}  // namespace

DnsObserver::DnsObserver(const DnsObserverOptions& options, EventSink* sink,
                         AnomalyCounters* anomalies)
    : options_(options), sink_(sink), anomalies_(anomalies) {
  if (options_.max_pending_queries == 0) options_.max_pending_queries = 1;
}

bool DnsObserver::Watched(uint16_t qtype) const {
  return std::find(options_.watched_qtypes.begin(), options_.watched_qtypes.end(), qtype) !=
         options_.watched_qtypes.end();
}

void DnsObserver::OnPacket(const DecodedPacket& packet) {
  if (packet.src_port != kDnsPort && packet.dst_port != kDnsPort) return;
  // Expiring here as well keeps the bookkeeping bounded even if the pipeline
  // calls Advance rarely.
  Expire(packet.time_us);
  if (packet.ip_proto == kIpProtoUdp) {
    OnMessage(packet, packet.payload);
  } else if (packet.ip_proto == kIpProtoTcp) {
    OnTcp(packet);
  }
}

void DnsObserver::OnTcp(const DecodedPacket& packet) {
  if (packet.payload.empty()) return;  // handshake, bare ACK, FIN
  const StreamKey sk{packet.src, packet.dst, packet.src_port, packet.dst_port};
  const uint32_t len = static_cast<uint32_t>(packet.payload.size());
  std::string buffer;
  auto it = partial_.find(sk);
  if (it != partial_.end()) {
    Partial& p = it->second;
    const int32_t ahead = static_cast<int32_t>(packet.seq - p.next_seq);
    const int32_t end_ahead = static_cast<int32_t>(packet.seq + len - p.next_seq);
    if (ahead == 0) {
      buffer = std::move(p.bytes);
      buffer.append(reinterpret_cast<const char*>(packet.payload.data()), packet.payload.size());
    } else if (ahead < 0 && end_ahead <= 0) {
      return;  // retransmission of bytes already buffered
    } else {
      // A hole or an overlap we do not untangle: give up on the partial message.
      anomalies_->Count("dns_tcp_split_message");
    }
    partial_.erase(it);
  }
  if (buffer.empty()) {
    buffer.assign(reinterpret_cast<const char*>(packet.payload.data()), packet.payload.size());
  }

  absl::Span<const uint8_t> rest(reinterpret_cast<const uint8_t*>(buffer.data()), buffer.size());
  while (!rest.empty()) {
    absl::StatusOr<TcpDnsFrame> frame = NextTcpDnsFrame(rest);
    if (frame.ok()) {
      OnMessage(packet, frame->message);
      rest = frame->rest;
      continue;
    }
    const std::string reason = DnsErrorReason(frame.status());
    if (reason == "dns_tcp_split_message" && rest.size() <= kMaxTcpFrame &&
        partial_.size() < options_.max_tcp_streams) {
      Partial& p = partial_[sk];
      p.next_seq = packet.seq + len;
      p.last_us = packet.time_us;
      p.bytes.assign(reinterpret_cast<const char*>(rest.data()), rest.size());
    } else {
      anomalies_->Count(reason);
    }
    break;
  }
}

void DnsObserver::OnMessage(const DecodedPacket& packet, absl::Span<const uint8_t> bytes) {
  absl::StatusOr<DnsMessage> msg = ParseDnsMessage(bytes);
  if (!msg.ok()) {
    anomalies_->Count(DnsErrorReason(msg.status()));
    return;
  }
  // NOTIFY, UPDATE and the like are not lookups.
  if (msg->opcode != kOpcodeQuery) return;
  if (msg->is_response) {
    OnResponse(packet, *msg);
  } else {
    OnQuery(packet, *msg);
  }
}

void DnsObserver::OnQuery(const DecodedPacket& packet, const DnsMessage& msg) {
  if (msg.questions.empty() || !Watched(msg.questions[0].qtype)) return;
  const Key key{packet.src, packet.dst, packet.src_port, packet.dst_port, packet.ip_proto, msg.id};
  if (pending_.contains(key)) return;  // retransmission while waiting
  auto done = done_.find(key);
  if (done != done_.end() && done->second > packet.time_us) return;  // late retransmission

  if (pending_.size() >= options_.max_pending_queries) {
    anomalies_->Count("dns_pending_overflow");
    // Report the oldest waiting query now rather than forget it.
    while (!pending_order_.empty()) {
      auto [time_us, old] = pending_order_.front();
      pending_order_.pop_front();
      auto p = pending_.find(old);
      if (p != pending_.end() && p->second.query_us == time_us) {
        EmitUnanswered(old);
        break;
      }
    }
  }

  const DnsQuestion& q = msg.questions[0];
  Pending& p = pending_[key];
  p.query_us = packet.time_us;
  SetTimestamp(packet.time_us, p.event.mutable_time());
  cleansweep::v1::DnsQuery* dns = p.event.mutable_dns();
  SetEndpoint(packet.src, packet.src_port, dns->mutable_client());
  SetEndpoint(packet.dst, packet.dst_port, dns->mutable_server());
  dns->set_transport(packet.ip_proto == kIpProtoTcp ? cleansweep::v1::TRANSPORT_TCP
                                                    : cleansweep::v1::TRANSPORT_UDP);
  SetTimestamp(packet.time_us, dns->mutable_time());
  dns->set_id(msg.id);
  dns->set_name(q.name);
  dns->set_qtype(q.qtype);
  dns->set_qtype_name(DnsTypeName(q.qtype));
  pending_order_.emplace_back(packet.time_us, key);
}

void DnsObserver::OnResponse(const DecodedPacket& packet, const DnsMessage& msg) {
  const Key key{packet.dst, packet.src, packet.dst_port, packet.src_port, packet.ip_proto, msg.id};
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    cleansweep::v1::Event event = std::move(it->second.event);
    pending_.erase(it);
    FillAnswer(msg, packet.time_us, event.mutable_dns());
    sink_->Emit(std::move(event));
    MarkDone(key, packet.time_us);
    return;
  }
  auto done = done_.find(key);
  if (done != done_.end() && done->second > packet.time_us) return;  // repeated response

  // The query was not captured: report what the response tells.
  if (msg.questions.empty() || !Watched(msg.questions[0].qtype)) return;
  const DnsQuestion& q = msg.questions[0];
  cleansweep::v1::Event event;
  SetTimestamp(packet.time_us, event.mutable_time());
  cleansweep::v1::DnsQuery* dns = event.mutable_dns();
  SetEndpoint(packet.dst, packet.dst_port, dns->mutable_client());
  SetEndpoint(packet.src, packet.src_port, dns->mutable_server());
  dns->set_transport(packet.ip_proto == kIpProtoTcp ? cleansweep::v1::TRANSPORT_TCP
                                                    : cleansweep::v1::TRANSPORT_UDP);
  dns->set_id(msg.id);
  dns->set_name(q.name);
  dns->set_qtype(q.qtype);
  dns->set_qtype_name(DnsTypeName(q.qtype));
  FillAnswer(msg, packet.time_us, dns);
  sink_->Emit(std::move(event));
  MarkDone(key, packet.time_us);
}

void DnsObserver::EmitUnanswered(const Key& key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  const int64_t query_us = it->second.query_us;
  cleansweep::v1::Event event = std::move(it->second.event);
  pending_.erase(it);
  sink_->Emit(std::move(event));
  // A response arriving after we gave up is absorbed rather than reported as
  // a second, one-sided lookup.
  MarkDone(key, query_us + options_.query_timeout_us);
}

void DnsObserver::MarkDone(const Key& key, int64_t time_us) {
  const int64_t until = time_us + options_.query_timeout_us;
  done_[key] = until;
  done_order_.emplace_back(until, key);
  // Bounded like the pending table; the oldest entries go first.
  while (done_.size() > options_.max_pending_queries && !done_order_.empty()) {
    auto [old_until, old] = done_order_.front();
    done_order_.pop_front();
    auto d = done_.find(old);
    if (d != done_.end() && d->second == old_until) done_.erase(d);
  }
}

void DnsObserver::Expire(int64_t now_us) {
  while (!pending_order_.empty() &&
         pending_order_.front().first + options_.query_timeout_us <= now_us) {
    auto [time_us, key] = pending_order_.front();
    pending_order_.pop_front();
    auto p = pending_.find(key);
    if (p != pending_.end() && p->second.query_us == time_us) EmitUnanswered(key);
  }
  while (!done_order_.empty() && done_order_.front().first <= now_us) {
    auto [until, key] = done_order_.front();
    done_order_.pop_front();
    auto d = done_.find(key);
    if (d != done_.end() && d->second == until) done_.erase(d);
  }
  for (auto it = partial_.begin(); it != partial_.end();) {
    if (it->second.last_us + options_.query_timeout_us <= now_us) {
      anomalies_->Count("dns_tcp_split_message");
      partial_.erase(it++);
    } else {
      ++it;
    }
  }
}

void DnsObserver::Advance(int64_t now_us) { Expire(now_us); }

void DnsObserver::Finish(int64_t now_us) {
  // In query order, so the output is stable.
  for (const auto& [time_us, key] : pending_order_) {
    auto p = pending_.find(key);
    if (p != pending_.end() && p->second.query_us == time_us) {
      cleansweep::v1::Event event = std::move(p->second.event);
      pending_.erase(p);
      sink_->Emit(std::move(event));
    }
  }
  pending_.clear();
  pending_order_.clear();
  done_.clear();
  done_order_.clear();
  if (!partial_.empty()) anomalies_->Count("dns_tcp_split_message", partial_.size());
  partial_.clear();
}

}  // namespace cleansweep::agent
