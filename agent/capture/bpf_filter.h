// Builds the kernel capture filter from what the agent watches. Pure text; the
// capture code compiles it. The filter admits only what the observers need:
//  - TCP on SMTP ports: SYN/FIN/RST and segments with payload (no bare ACKs),
//  - DNS (UDP and TCP port 53),
//  - TCP on worm ports: SYN/FIN/RST only (connection attempts and answers),
//  - UDP on worm UDP ports,
// over IPv4 and IPv6, untagged or behind an 802.1Q tag.
#ifndef CLEANSWEEP_AGENT_CAPTURE_BPF_FILTER_H_
#define CLEANSWEEP_AGENT_CAPTURE_BPF_FILTER_H_

#include <string>

#include "agent/observers/watch_config.h"

namespace cleansweep::agent {

// `vlan_tags`: also match the same traffic behind 802.1Q/802.1ad tags. Only
// Ethernet captures carry tags; libpcap refuses `vlan` on other link types.
std::string BuildCaptureFilter(const WatchConfig& config, bool vlan_tags = true);

// Whether a pcap LINKTYPE can carry 802.1Q tags (Ethernet).
inline bool LinkTypeCarriesVlan(int link_type) { return link_type == 1; }

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_CAPTURE_BPF_FILTER_H_
