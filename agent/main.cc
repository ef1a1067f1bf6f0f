// cleansweep-agent: flags → AgentConfig → RunAgent. Nothing else lives here.
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "agent/app/agent_runner.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  using cleansweep::agent::AgentConfig;
  AgentConfig config;
  std::string smtp_ports, worm_ports, log_level = "info";
  std::string dns_qtypes;
  int heartbeat_seconds = 30;
  int spool_max_mb = 256;

  CLI::App app{
      "cleansweep-agent: watches this machine's outbound SMTP, DNS MX lookups and "
      "worm-port connection attempts, and reports them to the cleansweep collector.\n\n"
      "Examples:\n"
      "  cleansweep-agent --read capture.pcap --json     # events of a capture, one JSON per line\n"
      "  cleansweep-agent --interface eth0 --collector collector:4317 --ca ca.pem \\\n"
      "      --enroll-secret-file enroll-secret --state-dir /var/lib/cleansweep-agent\n"};
  app.get_formatter()->column_width(34);
  auto* read = app.add_option("--read", config.read_file,
                              "Analyse a capture file (pcap or pcapng) instead of live traffic")
                   ->check(CLI::ExistingFile);
  app.add_option("--interface,-i", config.interfaces,
                 "Capture on this interface (repeatable; default: every up, non-loopback one)")
      ->excludes(read);
  app.add_flag("--json", config.json, "Write each event to stdout as one JSON object per line");
  app.add_flag("--stats", config.stats, "Print packet, event and malformed-input counters to stderr");
  app.add_flag("--print-filter", config.print_filter, "Print the kernel BPF filter and exit");
  app.add_option("--smtp-ports", smtp_ports, "SMTP ports to watch (default 25,465,587,2525)");
  app.add_option("--worm-ports", worm_ports,
                 "Worm-associated ports, e.g. 3127-3198,445,udp:69 (default: DESIGN.md list)");
  app.add_option("--dns-qtypes", dns_qtypes, "DNS query types to report, numeric (default 15 = MX)");
  app.add_option("--collector", config.collector,
                 "Collector address HOST:PORT; repeat it (or separate with commas) to give "
                 "standby collectors, tried in turn when one cannot be reached")
      ->delimiter(',');
  app.add_option("--drain-rate", config.drain_rate,
                 "Events per second sent to the collector at most (default 2000; 0 = "
                 "unlimited). After an outage every agent drains its spool at once: the limit "
                 "keeps a fleet coming back from flattening the collector")
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--ca", config.ca_file, "CA certificate (PEM) that signed the collector's certificate")
      ->check(CLI::ExistingFile);
  app.add_option("--enroll-secret-file", config.enroll_secret_file,
                 "File holding one of the collector's enrollment secrets; used once, on the "
                 "first start, to obtain this agent's node key (kept in --state-dir)")
      ->check(CLI::ExistingFile);
  app.add_option("--server-name", config.server_name,
                 "TLS name the collector's certificate must carry, if not the address's host");
  app.add_flag("--insecure", config.insecure,
               "Talk to the collector without TLS (testing only; everything is sent in clear)");
  app.add_option("--agent-id", config.agent_id, "Identity reported to the collector (default: host name)");
  app.add_option("--state-dir", config.state_dir,
                 "Directory for state kept across restarts (event sequence counter, and the "
                 "spool of events not yet acknowledged by the collector, node key); required "
                 "with --collector");
  app.add_option("--spool-max-mb", spool_max_mb,
                 "Size limit of the event spool in MiB (default 256); beyond it the oldest "
                 "unsent events are dropped and reported to the collector as lost")
      ->check(CLI::Range(1, 1048576));
  app.add_option("--heartbeat-interval", heartbeat_seconds, "Seconds between heartbeats")
      ->check(CLI::Range(1, 3600));
  app.add_option("--hosts-file", config.hosts_file,
                 "Hosts file the collector's sweeps check for redirected anti-virus and "
                 "update sites (default /etc/hosts)");
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every other parse error is bad usage: exit 2.
    return app.exit(e) == 0 ? 0 : 2;
  }

  cleansweep::SetLogProgramName("agent");
  if (log_level == "debug") cleansweep::SetLogLevel(cleansweep::LogLevel::kDebug);
  if (log_level == "warning") cleansweep::SetLogLevel(cleansweep::LogLevel::kWarning);
  if (log_level == "error") cleansweep::SetLogLevel(cleansweep::LogLevel::kError);

  auto usage_error = [](const std::string& what) {
    std::fprintf(stderr, "cleansweep-agent: %s\nRun with --help for usage.\n", what.c_str());
    return 2;
  };
  if (!smtp_ports.empty()) {
    auto ports = cleansweep::agent::ParsePortList(smtp_ports);
    if (!ports.ok()) return usage_error("--smtp-ports: " + std::string(ports.status().message()));
    config.watch.smtp_ports = *ports;
  }
  if (!worm_ports.empty()) {
    auto st = cleansweep::agent::ParseWormPorts(worm_ports, &config.watch.worm_tcp_ports,
                                                &config.watch.worm_udp_ports);
    if (!st.ok()) return usage_error("--worm-ports: " + std::string(st.message()));
  }
  if (!dns_qtypes.empty()) {
    auto types = cleansweep::agent::ParsePortList(dns_qtypes);  // same shape: 1..65535
    if (!types.ok()) return usage_error("--dns-qtypes: " + std::string(types.status().message()));
    config.watch.dns_qtypes = *types;
  }
  if (!config.collector.empty() && !config.insecure && config.ca_file.empty()) {
    return usage_error("--collector needs --ca (the CA that signed the collector's certificate), "
                       "or --insecure for a plain-text test setup");
  }
  if (config.insecure && !config.collector.empty()) {
    LOG_WARNING("*** --insecure: talking to the collector WITHOUT TLS; events, the enrollment "
                "secret and the node key travel in clear. Use only for local tests. ***");
  }
  if (!config.collector.empty() && !config.print_filter && config.state_dir.empty()) {
    return usage_error("--collector needs --state-dir (where the agent keeps its node key, and "
                       "where events wait on disk until the collector acknowledges them)");
  }
  config.spool_max_bytes = static_cast<uint64_t>(spool_max_mb) << 20;
  config.heartbeat_interval = absl::Seconds(heartbeat_seconds);
  return cleansweep::agent::RunAgent(config);
}
