// The packet pipeline: frame → decode → route by port → observers → events.
//
// Owns the observers (built from one explicit table in observer_registry.cc)
// and the anomaly counters. Single-threaded: call every method from the
// capture thread. Events go to the EventSink given at construction.
#ifndef CLEANSWEEP_AGENT_OBSERVERS_PIPELINE_H_
#define CLEANSWEEP_AGENT_OBSERVERS_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/observers/observer.h"
#include "agent/observers/watch_config.h"

namespace cleansweep::agent {

// Which observers a packet concerns, as bits.
enum RouteBits : uint8_t { kRouteSmtp = 1, kRouteWorm = 2, kRouteDns = 4 };

struct RoutedObserver {
  const char* name;
  uint8_t route;  // RouteBits this observer receives
  std::unique_ptr<Observer> observer;
};

// The one table of observers (observer_registry.cc).
std::vector<RoutedObserver> MakeObservers(const WatchConfig& config, EventSink* sink,
                                          AnomalyCounters* anomalies);

// Told about the first SYN (SYN without ACK) of every TCP connection to a
// watched SMTP port, on the capture thread, before any observer sees it (the
// agent looks up the owning process while the socket still exists). Must be
// quick: queue the work, do not do it.
class ConnectionStartListener {
 public:
  virtual ~ConnectionStartListener() = default;
  virtual void OnSmtpConnectionStart(const DecodedPacket& syn) = 0;
};

struct PipelineStats {
  uint64_t packets = 0;    // frames handed to the pipeline
  uint64_t decoded = 0;    // decoded to TCP/UDP over IP
  uint64_t ignored = 0;    // well-formed but of no interest (ARP, ICMP, fragments, ...)
  uint64_t malformed = 0;  // counted by name in anomalies()
  uint64_t bytes = 0;      // captured bytes
};

class Pipeline {
 public:
  // `sink` (and `connection_starts`, when given) must outlive the pipeline.
  Pipeline(const WatchConfig& config, EventSink* sink,
           ConnectionStartListener* connection_starts = nullptr);
  ~Pipeline();

  void OnFrame(int link_type, uint32_t source_index, int64_t time_us,
               absl::Span<const uint8_t> frame);
  // Lets observers expire idle state (call with wall time when no packets arrive).
  void Advance(int64_t now_us);
  // Flushes every observer: end of capture or shutdown.
  void Finish(int64_t now_us);
  // Finishes the current observers and starts new ones for `config`.
  void Reconfigure(const WatchConfig& config, int64_t now_us);

  const PipelineStats& stats() const { return stats_; }
  const AnomalyCounters& anomalies() const { return anomalies_; }
  const WatchConfig& config() const { return config_; }
  int64_t last_packet_time_us() const { return last_time_us_; }

 private:
  void Build(const WatchConfig& config);

  WatchConfig config_;
  EventSink* sink_;
  ConnectionStartListener* const connection_starts_;
  AnomalyCounters anomalies_;
  PipelineStats stats_;
  std::vector<RoutedObserver> observers_;
  std::array<uint8_t, 65536> tcp_routes_{};
  std::array<uint8_t, 65536> udp_routes_{};
  int64_t last_time_us_ = 0;
  int64_t last_advance_us_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_PIPELINE_H_
