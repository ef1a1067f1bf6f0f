// Everything the agent needs to run, filled from the command line by main.cc.
#ifndef CLEANSWEEP_AGENT_APP_AGENT_CONFIG_H_
#define CLEANSWEEP_AGENT_APP_AGENT_CONFIG_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/observers/watch_config.h"

namespace cleansweep::agent {

struct AgentConfig {
  // Exactly one of: a capture file to replay, or live interfaces (empty = all
  // up, non-loopback interfaces).
  std::string read_file;
  std::vector<std::string> interfaces;

  bool json = false;          // one JSON event per line on stdout
  bool stats = false;         // counters on stderr at the end
  bool print_filter = false;  // print the BPF filter and exit

  WatchConfig watch = WatchConfig::Defaults();

  // Uplink; no collector = no uplink. HOST:PORT each, tried in turn.
  std::vector<std::string> collector;
  // Events per second the uplink sends at most (0 = unlimited), so that a
  // fleet draining its spools after an outage does not flatten the collector.
  double drain_rate = 2000;
  std::string ca_file;
  std::string enroll_secret_file;  // only read when the state dir holds no node key
  std::string server_name;  // TLS name to expect, when it differs from the address
  bool insecure = false;
  std::string agent_id;     // default: host name
  std::string state_dir;    // sequence counter and (with a collector) the event spool
  uint64_t spool_max_bytes = uint64_t{256} << 20;  // spool payload limit; oldest dropped beyond
  absl::Duration heartbeat_interval = absl::Seconds(30);
  absl::Duration ack_timeout = absl::Seconds(60);  // --read with a collector: wait for acks
  // The hosts file sweeps check; empty = the platform's (/etc/hosts).
  std::string hosts_file;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_APP_AGENT_CONFIG_H_
