// `sweep`: asks every agent to check its host now, through the running
// collector's admin socket, and (with --wait) follows the answers.
// `sweeps`: the stored sweeps and answers, read from the database (works
// while the collector is down).
//
// sweep exit codes (sweep_view.h): 0 every agent answered and nothing was
// found, 1 something was found, 2 not every agent answered within --wait (or
// an answer is incomplete), 3 bad usage or the collector cannot be reached.
// sweeps: 0 ok, 1 failure, 2 bad usage.
#ifndef CLEANSWEEP_COLLECTOR_CLI_SWEEP_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_CLI_SWEEP_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cleansweep::collector {

// Where serve puts its admin socket by default: next to the database,
// "DB-admin.sock" (like SQLite's DB-wal).
std::string DefaultAdminSocket(const std::string& db_path);
// Where `sweep` looks when given neither --admin-socket nor --db.
inline constexpr char kSystemAdminSocket[] = "/run/cleansweep/admin.sock";

// "30s", "10m", "1.5h", "2d", "0": a non-negative duration.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view text);

struct SweepConfig {
  std::string admin_socket;  // "" = from db_path, else kSystemAdminSocket
  std::string db_path;
  std::string wait = "0";  // how long to wait for answers
  std::string expires = "24h";
  bool json = false;
};
int RunSweepCommand(const SweepConfig& config);

struct SweepsConfig {
  std::string db_path;
  std::string sweep_id;  // "" = every sweep (summary); else that one in full
  size_t limit = 20;
  bool json = false;
};
int RunSweepsCommand(const SweepsConfig& config);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_SWEEP_COMMAND_H_
