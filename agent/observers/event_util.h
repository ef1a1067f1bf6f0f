// Small helpers every observer uses to fill events: packet time (microseconds)
// to and from protobuf Timestamps, addresses to Endpoints.
#ifndef CLEANSWEEP_AGENT_OBSERVERS_EVENT_UTIL_H_
#define CLEANSWEEP_AGENT_OBSERVERS_EVENT_UTIL_H_

#include <cstdint>

#include "agent/decode/packet.h"
#include "cleansweep/v1/event.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace cleansweep::agent {

inline void SetTimestamp(int64_t time_us, google::protobuf::Timestamp* ts) {
  int64_t secs = time_us / 1000000;
  int64_t micros = time_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<int32_t>(micros * 1000));
}

inline int64_t TimestampToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

inline void SetEndpoint(const IpAddress& ip, uint16_t port, cleansweep::v1::Endpoint* endpoint) {
  endpoint->set_ip(ip.ToString());
  endpoint->set_port(port);
}

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_EVENT_UTIL_H_
