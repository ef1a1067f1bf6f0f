// What every collector subcommand shares: how failures are reported and how
// query commands open the store.
#ifndef CLEANSWEEP_COLLECTOR_CLI_CLI_UTIL_H_
#define CLEANSWEEP_COLLECTOR_CLI_CLI_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

// Prints "cleansweep-collector: MESSAGE" to stderr; returns kExitFailure.
int Fail(absl::string_view message);

// Prints the message and a pointer to --help to stderr; returns kExitUsage.
int Usage(absl::string_view message);

// Opens the SQLite store read-only: query commands never create or migrate
// the file (an out-of-date schema is an error that says to run serve).
absl::StatusOr<EventStorePtr> OpenForQuery(const std::string& path);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_CLI_UTIL_H_
