// RunSweep: the agent's answer to a SweepRequest, made from what a
// HostInspector reads about the host. Facts only; the collector judges them.
//
//  - Listening sockets on the checked ports: TCP sockets in LISTEN and
//    unconnected UDP sockets whose local port is Mydoom's 3127-3198, one of
//    the request's backdoor ports, or a worm port the capture watches (the
//    collector's capture configuration, derived from rules/worms.textproto),
//    with every process holding them.
//  - Outbound SMTP: TCP sockets ESTABLISHED or SYN_SENT to a remote port the
//    capture watches as SMTP, with their processes.
//  - Hosts-file entries naming one of the request's protected domains.
//  - Capture health: the heartbeat the capture last published.
// Lists are sorted (transport, port, address) and capped (SweepLimits); what
// the caps leave out is counted in `omitted`. Everything that could not be
// read is a sentence in `errors`; the rest is still reported.
#ifndef CLEANSWEEP_AGENT_SWEEP_SWEEPER_H_
#define CLEANSWEEP_AGENT_SWEEP_SWEEPER_H_

#include <cstddef>
#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/observers/watch_config.h"
#include "agent/sweep/host_inspector.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

// Mydoom.A listens on the first free port of 3127-3198: always checked.
inline constexpr uint16_t kMydoomFirstPort = 3127;
inline constexpr uint16_t kMydoomLastPort = 3198;

// What the capture is doing when the sweep runs.
struct SweepContext {
  WatchConfig watch = WatchConfig::Defaults();
  cleansweep::v1::Heartbeat capture;
};

struct SweepLimits {
  size_t max_listeners = 256;
  size_t max_connections = 256;
  size_t max_hosts_entries = 256;
  size_t max_processes_per_socket = 8;
};

cleansweep::v1::SweepResult RunSweep(const cleansweep::v1::SweepRequest& request,
                                     const SweepContext& context, HostInspector* inspector,
                                     const std::function<absl::Time()>& clock = absl::Now,
                                     const SweepLimits& limits = {});

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_SWEEPER_H_
