// The collector's subcommands, wired from configuration structs that main.cc
// fills from flags. Each returns the process exit code: 0 ok, 1 runtime
// failure (message on stderr says what failed and what to fix), 2 bad usage.
#ifndef CLEANSWEEP_COLLECTOR_CLI_COMMANDS_H_
#define CLEANSWEEP_COLLECTOR_CLI_COMMANDS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cleansweep::collector {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Loopback by default so a collector never listens on the network by accident;
// 4317 is the port the agent's documentation uses.
inline constexpr char kDefaultListenAddress[] = "127.0.0.1:4317";
// The status page: loopback too; anything else needs TLS and a login.
inline constexpr char kDefaultHttpAddress[] = "127.0.0.1:8080";

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
  // The local admin endpoint `sweep` talks to (a Unix socket, mode 0600);
  // "" = DefaultAdminSocket(db_path) (sweep_command.h), "off" = none.
  std::string admin_socket;
  // Status page (collector/web/status_page.h): --http ADDR:PORT or "off";
  // http_address_given when the flag was on the command line (then failing
  // to bind refuses the start; the default only warns).
  std::string http_address = kDefaultHttpAddress;
  bool http_address_given = false;
  std::string http_tls_cert;
  std::string http_tls_key;
  std::string http_users;  // login file
  // What an idle agent connection costs (README "Measured"): "lean" lets
  // OpenSSL free idle record buffers and gives gRPC's TLS BIO pairs 1 KiB
  // buffers (service/tls_buffers.h); "default" keeps gRPC's and OpenSSL's.
  std::string tls_buffers = "lean";
  // Who runs the agents' TLS: "relay" (the collector's own TLS endpoint,
  // service/tls_terminator.h, relaying to gRPC in plain text inside the
  // process: least memory per idle agent) or "grpc" (gRPC's TLS layer, with
  // --tls-buffers).
  std::string tls_termination = "relay";
  // glibc's M_MMAP_THRESHOLD in bytes: allocations at least this large get
  // pages of their own, resident only once written and returned when freed.
  // 8192 makes idle agents cheaper but slows the SQLite writer (README
  // "Measured"); 0 keeps glibc's adaptive threshold.
  int malloc_mmap_threshold = 0;
};

class RulesHolder;

// What a running serve offers the status page.
struct ServeRuntime {
  const ServeConfig* config = nullptr;
  RulesHolder* rules = nullptr;  // null without --rules
  std::function<uint64_t()> connected_agents;  // authenticated agent streams now
  std::function<uint64_t()> events_ingested;   // events durably stored since start
};

// Starts the status page; main.cc passes collector/web's, so this library
// does not depend on the web module. The returned handle keeps the page
// running until released (null: not started, e.g. --http off). A non-OK
// status refuses the start (InvalidArgument: exit 2, otherwise exit 1).
using StatusPageStarter =
    std::function<absl::StatusOr<std::shared_ptr<void>>(const ServeRuntime&)>;

// Runs the gRPC server until SIGINT or SIGTERM. After the server started it
// prints exactly one line "listening on HOST:PORT" to stdout (the bound port
// when PORT was 0) and flushes; logs go to stderr.
// With rules_dir: invalid rules refuse the start (every error line on stderr,
// exit 2); SIGHUP reloads them (serve_rules.h): a good set replaces the old
// one and its capture configuration is pushed to every connected agent; a bad
// one is logged with every error and the last good set stays. Without
// rules_dir, SIGHUP keeps its default action (the process ends).
// With `start_status_page`: called once the store is open and before the
// gRPC port opens (a refusal happens before anything listens); the page is
// stopped after the gRPC server.
int RunServe(const ServeConfig& config, const StatusPageStarter& start_status_page = nullptr);

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
