// CaptureConfigBroadcast: the capture configuration in force and the live
// agent streams that must hear about a new one. No gRPC: the stream adapter
// (collector_service.cc) subscribes each authenticated stream with a listener
// that queues the message on that stream; whoever decides the configuration
// (serve, on a rules reload) calls Publish.
//
// Contract:
//  - Subscribe returns the configuration current at that instant together
//    with an id; every Publish after it runs the listener with the new
//    configuration. So a stream that answers Hello with the returned
//    configuration and applies what its listener delivers never misses one.
//  - Publish replaces the current configuration, then runs every listener,
//    one after another, in the order of publication (Publish calls are
//    serialized). It returns how many listeners were run.
//  - Listeners run under the broadcast's lock: they must be quick (queue a
//    write), must not call back into the broadcast, and must not block on
//    anything that waits for the broadcast.
//  - After Unsubscribe(id) returns, that listener is never running and never
//    runs again, so its owner may be destroyed.
// Thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_BROADCAST_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_BROADCAST_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::collector {

class CaptureConfigBroadcast {
 public:
  using Listener = std::function<void(const cleansweep::v1::CaptureConfig&)>;

  explicit CaptureConfigBroadcast(cleansweep::v1::CaptureConfig initial);
  CaptureConfigBroadcast(const CaptureConfigBroadcast&) = delete;
  CaptureConfigBroadcast& operator=(const CaptureConfigBroadcast&) = delete;

  struct Subscription {
    uint64_t id = 0;
    cleansweep::v1::CaptureConfig current;
  };
  Subscription Subscribe(Listener listener);
  void Unsubscribe(uint64_t id);

  size_t Publish(const cleansweep::v1::CaptureConfig& config);

  cleansweep::v1::CaptureConfig Current() const;
  size_t listeners() const;

 private:
  mutable std::mutex mu_;
  cleansweep::v1::CaptureConfig current_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_id_ = 1;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_BROADCAST_H_
