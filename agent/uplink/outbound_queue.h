// OutboundQueue: events waiting for the collector's acknowledgement.
//
// The uplink pushes every event here before sending it and drops events only
// when the collector acknowledges them, so a reconnect resends exactly what is
// still unacknowledged. InMemoryOutboundQueue keeps them in memory (batch
// runs without a state directory); the on-disk spool (agent/spool, events
// survive an agent restart) implements the same interface.
//
// Not thread-safe unless an implementation says otherwise: the owner
// serializes access (Uplink holds its mutex).
#ifndef CLEANSWEEP_AGENT_UPLINK_OUTBOUND_QUEUE_H_
#define CLEANSWEEP_AGENT_UPLINK_OUTBOUND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cleansweep/v1/event.pb.h"
#include "google/protobuf/repeated_field.h"

namespace cleansweep::agent {

// Sequences the queue dropped without sending them: [first, last], `count`
// of them held (normally last - first + 1), and why ("spool_full").
struct LostRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t count = 0;
  std::string reason;
  bool operator==(const LostRange&) const = default;
};

// What the queue holds, for heartbeats.
struct OutboundQueueStats {
  uint64_t events = 0;
  uint64_t bytes = 0;          // serialized event bytes
  int64_t oldest_time_us = 0;  // event time of the lowest queued sequence; 0 when empty
  uint64_t lost_events = 0;    // events ever dropped without sending
};

class OutboundQueue {
 public:
  virtual ~OutboundQueue() = default;
  // Adds an event (keyed by its sequence; a sequence already queued is ignored).
  virtual void Push(cleansweep::v1::Event event) = 0;
  // Appends copies of up to `max` events with sequence > `after`, in sequence
  // order, to `out`; returns the highest sequence appended (`after` if none).
  virtual uint64_t CopyAfter(uint64_t after, size_t max,
                             google::protobuf::RepeatedPtrField<cleansweep::v1::Event>* out) const = 0;
  // Number of queued events with sequence > `after`, counting at most `cap`.
  virtual size_t CountAfter(uint64_t after, size_t cap) const = 0;
  // Drops every event with sequence <= `sequence` (the collector stored them).
  virtual void AckThrough(uint64_t sequence) = 0;
  virtual size_t size() const = 0;
  // Lowest queued sequence (0 when empty).
  virtual uint64_t first_sequence() const = 0;
  // Highest sequence ever pushed (0 when none).
  virtual uint64_t last_sequence() const = 0;
  // Ranges dropped without sending and not yet covered by AckThrough, lowest
  // first. The uplink reports each one to the collector. A bounded queue
  // implements this; the in-memory queue never drops.
  virtual std::vector<LostRange> lost_ranges() const { return {}; }
  virtual OutboundQueueStats stats() const;
};

class InMemoryOutboundQueue final : public OutboundQueue {
 public:
  void Push(cleansweep::v1::Event event) override;
  uint64_t CopyAfter(uint64_t after, size_t max,
                     google::protobuf::RepeatedPtrField<cleansweep::v1::Event>* out) const override;
  size_t CountAfter(uint64_t after, size_t cap) const override;
  void AckThrough(uint64_t sequence) override;
  size_t size() const override { return events_.size(); }
  uint64_t first_sequence() const override {
    return events_.empty() ? 0 : events_.begin()->first;
  }
  uint64_t last_sequence() const override { return last_sequence_; }

 private:
  std::map<uint64_t, cleansweep::v1::Event> events_;
  uint64_t last_sequence_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_UPLINK_OUTBOUND_QUEUE_H_
