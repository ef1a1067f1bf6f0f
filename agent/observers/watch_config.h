// What the agent watches: SMTP ports, worm-associated ports, DNS query types.
// Defaults follow DESIGN.md; the collector may replace them (CaptureConfig).
#ifndef CLEANSWEEP_AGENT_OBSERVERS_WATCH_CONFIG_H_
#define CLEANSWEEP_AGENT_OBSERVERS_WATCH_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct WatchConfig {
  std::vector<uint16_t> smtp_ports;
  std::vector<PortRange> worm_tcp_ports;
  std::vector<PortRange> worm_udp_ports;
  std::vector<uint16_t> dns_qtypes;

  // SMTP 25, 465, 587, 2525; worm ports from DESIGN.md (Mydoom 3127-3198,
  // 1080, 10080, 1034; Sasser 445, 5554, 9996; Blaster 135, 4444, udp 69;
  // Bagle 2745, 6777, 8866; Netsky 665, 82); DNS MX.
  static WatchConfig Defaults();

  // Applies a collector's CaptureConfig: each non-empty list replaces ours.
  // Adjacent worm ports are merged into ranges.
  void Apply(const cleansweep::v1::CaptureConfig& config);
  cleansweep::v1::CaptureConfig ToProto() const;

  friend bool operator==(const WatchConfig&, const WatchConfig&) = default;
};

// "25,465,587" → ports. InvalidArgument naming the bad item.
absl::StatusOr<std::vector<uint16_t>> ParsePortList(absl::string_view text);
// "3127-3198,1080,udp:69" → (tcp ranges, udp ranges).
absl::Status ParseWormPorts(absl::string_view text, std::vector<PortRange>* tcp,
                            std::vector<PortRange>* udp);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_OBSERVERS_WATCH_CONFIG_H_
