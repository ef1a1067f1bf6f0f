// The contract between the packet pipeline and the observers that turn packets
// into events (SMTP sessions, DNS queries, worm-port contacts).
//
// The pipeline calls one observer from one thread. Packets arrive in capture
// order; `OnPacket` sees only packets whose ports the observer watches. Time is
// packet time: `Advance` lets an observer expire idle state (a file replay has
// no wall clock), `Finish` flushes everything at the end of the capture.
#ifndef CLEANSWEEP_AGENT_OBSERVERS_OBSERVER_H_
#define CLEANSWEEP_AGENT_OBSERVERS_OBSERVER_H_

#include <cstdint>

#include "agent/decode/packet.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::agent {

// Receives finished events. The sink assigns `sequence` and `interface`; an
// observer fills `time` and the kind.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(cleansweep::v1::Event event) = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void OnPacket(const DecodedPacket& packet) = 0;
  // Packet time has reached `now_us`; emit and forget state idle past its timeout.
  virtual void Advance(int64_t now_us) = 0;
  // The capture ended at `now_us`: emit everything still pending.
  virtual void Finish(int64_t now_us) = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_OBSERVER_H_
