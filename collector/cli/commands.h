// The collector's subcommands, wired from configuration structs that main.cc
// fills from flags. Each returns the process exit code: 0 ok, 1 runtime
// failure (message on stderr says what failed and what to fix), 2 bad usage.
#ifndef CLEANSWEEP_COLLECTOR_CLI_COMMANDS_H_
#define CLEANSWEEP_COLLECTOR_CLI_COMMANDS_H_

#include <cstddef>
#include <string>

namespace cleansweep::collector {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Loopback by default so a collector never listens on the network by accident;
// 4317 is the port the agent's documentation uses.
inline constexpr char kDefaultListenAddress[] = "127.0.0.1:4317";

struct ServeConfig {
  std::string db_path;
  std::string listen_address = kDefaultListenAddress;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string enroll_secret_file;  // one enrollment secret per line
  bool insecure = false;
  // Capture configuration sent to agents; empty = derived from the rules
  // with --rules, else the defaults (capture_config.h). A given list
  // replaces the derived or default one.
  std::string smtp_ports;
  std::string worm_ports;
  std::string dns_qtypes;
  // Rules directory (rule_loader.h); empty = live rules off.
  std::string rules_dir;
};

// Runs the gRPC server until SIGINT or SIGTERM. After the server started it
// prints exactly one line "listening on HOST:PORT" to stdout (the bound port
// when PORT was 0) and flushes; logs go to stderr.
// With rules_dir: invalid rules refuse the start (every error line on stderr,
// exit 2); SIGHUP reloads them (serve_rules.h): a good set replaces the old
// one and its capture configuration is pushed to every connected agent; a bad
// one is logged with every error and the last good set stays. Without
// rules_dir, SIGHUP keeps its default action (the process ends).
int RunServe(const ServeConfig& config);

struct EventsConfig {
  std::string db_path;
  std::string agent_id;
  std::string since;  // ParseTimeFlag syntax; empty = everything
  size_t limit = 0;
  bool json = false;
};
int RunEvents(const EventsConfig& config);

struct AgentsConfig {
  std::string db_path;
  bool json = false;
};
int RunAgents(const AgentsConfig& config);

// `agents revoke`: the agent's node key is refused from now on (exit 1 when
// the id never enrolled).
struct AgentsRevokeConfig {
  std::string db_path;
  std::string agent_id;
};
int RunAgentsRevoke(const AgentsRevokeConfig& config);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_COMMANDS_H_
