// The SQLite event store's schema: the ordered list of migrations and the
// user_version bookkeeping. Internal to collector/store.
//
// Migrations()[i] takes a database from user_version i to i + 1; the schema
// version of this build is its size (SqliteSchemaVersion()). Only ever append;
// never edit a shipped step. Migrate() applies each step in its own
// transaction together with the new user_version, so a failed step leaves the
// file at the previous version. Errors are absl::InternalError naming the SQL.
#ifndef CLEANSWEEP_COLLECTOR_STORE_SQLITE_SCHEMA_H_
#define CLEANSWEEP_COLLECTOR_STORE_SQLITE_SCHEMA_H_

#include <sqlite3.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cleansweep::collector::sqlite_internal {

const std::vector<std::vector<const char*>>& Migrations();

// PRAGMA user_version of `db` (0 for a new file).
absl::StatusOr<int> ReadUserVersion(sqlite3* db);

// Applies the steps that take `db` from version `from` to `to` (at most the
// newest known version).
absl::Status Migrate(sqlite3* db, int from, int to);

}  // namespace cleansweep::collector::sqlite_internal

#endif  // CLEANSWEEP_COLLECTOR_STORE_SQLITE_SCHEMA_H_
