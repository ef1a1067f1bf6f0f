#include "collector/cli/cli_util.h"

#include <iostream>

#include "collector/cli/commands.h"
#include "collector/store/sqlite_event_store.h"

namespace cleansweep::collector {

int Fail(absl::string_view message) {
  std::cerr << "cleansweep-collector: " << message << "\n";
  return kExitFailure;
}

int Usage(absl::string_view message) {
  std::cerr << "cleansweep-collector: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

absl::StatusOr<EventStorePtr> OpenForQuery(const std::string& path) {
  SqliteOptions options;
  options.create = false;
  options.read_only = true;
  return OpenSqliteEventStore(path, options);
}

}  // namespace cleansweep::collector
