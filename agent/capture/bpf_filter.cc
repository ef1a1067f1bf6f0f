#include "agent/capture/bpf_filter.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cleansweep::agent {
namespace {

std::string PortExpr(const std::vector<PortRange>& ranges) {
  std::vector<std::string> parts;
  for (const auto& r : ranges) {
    parts.push_back(r.first == r.last ? absl::StrCat("port ", r.first)
                                      : absl::StrCat("portrange ", r.first, "-", r.last));
  }
  return absl::StrCat("(", absl::StrJoin(parts, " or "), ")");
}

std::vector<PortRange> Singles(const std::vector<uint16_t>& ports) {
  std::vector<PortRange> r;
  for (uint16_t p : ports) r.push_back({p, p});
  return r;
}

// IPv4: TCP header starts after the IP header (libpcap's tcp[] handles IHL).
// IPv6: libpcap cannot index TCP behind IPv6, so the byte offsets assume TCP
// directly after the fixed header (40 bytes); packets with extension headers
// are admitted unconditionally rather than lost.
constexpr char kV4Flags[] = "tcp[13] & 7 != 0";
constexpr char kV6Flags[] = "(ip6[6] != 6 or ip6[53] & 7 != 0)";
constexpr char kV4Payload[] = "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0";
constexpr char kV6Payload[] = "(ip6[6] != 6 or ip6[4:2] - ((ip6[52] & 0xf0) >> 2) != 0)";

}  // namespace

std::string BuildCaptureFilter(const WatchConfig& config, bool vlan_tags) {
  // Each port list appears once: a `port` primitive already covers IPv4 and
  // IPv6 and both directions, and a shorter program is cheaper to run on
  // every packet and to compile (the optimizer's memory grows with it).
  std::vector<std::string> clauses;
  if (!config.smtp_ports.empty()) {
    clauses.push_back(absl::StrCat("(tcp and ", PortExpr(Singles(config.smtp_ports)),
                                   " and ((ip and (", kV4Flags, " or ", kV4Payload,
                                   ")) or (ip6 and (", kV6Flags, " or ", kV6Payload, "))))"));
  }
  clauses.push_back("port 53");
  if (!config.worm_tcp_ports.empty()) {
    clauses.push_back(absl::StrCat("(tcp and ", PortExpr(config.worm_tcp_ports), " and ((ip and ",
                                   kV4Flags, ") or (ip6 and ", kV6Flags, ")))"));
  }
  if (!config.worm_udp_ports.empty()) {
    clauses.push_back(absl::StrCat("(udp and ", PortExpr(config.worm_udp_ports), ")"));
  }
  std::string inner = absl::StrCat("(", absl::StrJoin(clauses, " or "), ")");
  if (!vlan_tags) return inner;
  // After `vlan`, libpcap shifts every later offset by the tag.
  return absl::StrCat(inner, " or (vlan and ", inner, ")");
}

}  // namespace cleansweep::agent
