#include "agent/uplink/outbound_queue.h"

#include <algorithm>
#include <utility>

namespace cleansweep::agent {

OutboundQueueStats OutboundQueue::stats() const {
  OutboundQueueStats s;
  s.events = size();
  return s;
}

void InMemoryOutboundQueue::Push(cleansweep::v1::Event event) {
  const uint64_t seq = event.sequence();
  last_sequence_ = std::max(last_sequence_, seq);
  events_.emplace(seq, std::move(event));
}

uint64_t InMemoryOutboundQueue::CopyAfter(
    uint64_t after, size_t max,
    google::protobuf::RepeatedPtrField<cleansweep::v1::Event>* out) const {
  uint64_t last = after;
  for (auto it = events_.upper_bound(after); it != events_.end() && max > 0; ++it, --max) {
    *out->Add() = it->second;
    last = it->first;
  }
  return last;
}

size_t InMemoryOutboundQueue::CountAfter(uint64_t after, size_t cap) const {
  size_t n = 0;
  for (auto it = events_.upper_bound(after); it != events_.end() && n < cap; ++it) ++n;
  return n;
}

void InMemoryOutboundQueue::AckThrough(uint64_t sequence) {
  events_.erase(events_.begin(), events_.upper_bound(sequence));
}

}  // namespace cleansweep::agent
