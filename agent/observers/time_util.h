// Conversions between packet time (microseconds) and protobuf Timestamps.
#ifndef CLEANSWEEP_AGENT_OBSERVERS_TIME_UTIL_H_
#define CLEANSWEEP_AGENT_OBSERVERS_TIME_UTIL_H_

#include <cstdint>

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

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_TIME_UTIL_H_
