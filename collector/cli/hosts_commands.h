// The inventory and hosts subcommands (see hosts_view.h and inventory_csv.h
// for what they read and print). Each returns the process exit code of
// commands.h: 0 ok, 1 runtime failure (message on stderr), 2 bad usage.
#ifndef CLEANSWEEP_COLLECTOR_CLI_HOSTS_COMMANDS_H_
#define CLEANSWEEP_COLLECTOR_CLI_HOSTS_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/cli/hosts_view.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct InventoryImportConfig {
  std::string db_path;
  std::string csv_path;
};
// Replaces the expected-host list with the CSV file's rows, all or nothing:
// any bad row (each named FILE:LINE on stderr) imports nothing and exits 1.
// Creates and migrates the database when needed. Prints
// "imported N hosts into DB" on success.
int RunInventoryImport(const InventoryImportConfig& config);

struct HostsConfig {
  std::string db_path;
  bool json = false;
  std::string now;  // ParseTimeFlag syntax; empty = the current time
};
// Prints the hosts view as of `now`, read-only.
int RunHosts(const HostsConfig& config);

// Every expected or seen host with its coverage, loss and gaps over
// [now - window, now], read from the store (hosts_view.h BuildHostRows).
// Reads the segments meeting the window in one query, and per agent its
// newest heartbeat and gap count: the cost follows the agents and the
// window, not the history.
absl::StatusOr<std::vector<HostRow>> LoadHostRows(EventStore& store, absl::Time now,
                                                  absl::Duration window);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_HOSTS_COMMANDS_H_
