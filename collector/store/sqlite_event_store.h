// SqliteEventStore: the embedded EventStore engine — one SQLite file in WAL mode.
//
// Durability: synchronous=FULL. An Ack tells the agent it may forget an event,
// so a committed batch must survive power loss, not only a process crash
// (synchronous=NORMAL in WAL mode may roll back the last commits on power
// loss). The cost is one fsync of the WAL per batch, not per event.
//
// Schema: versioned with PRAGMA user_version; migrations are an ordered list of
// SQL steps applied in one transaction each. A file written by a newer
// collector (user_version above what this build knows) is refused.
//
// Thread-safety: one connection guarded by a mutex; safe to share. Other
// processes may read the file concurrently (WAL readers do not block the writer;
// busy_timeout covers brief lock waits).
#ifndef CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_H_
#define CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct SqliteOptions {
  // Create the file (and migrate it) when missing. When false the file must
  // exist; a missing file is NotFound.
  bool create = true;
  // Open for queries only: no migration; an out-of-date schema is
  // FailedPrecondition ("run serve to migrate").
  bool read_only = false;
  int busy_timeout_ms = 5000;
  // Bulk loads only (benchmark stores): synchronous=OFF, no fsync per
  // commit. A crash or power loss may lose or damage what was written; never
  // for a store that acknowledges agents' events.
  bool unsafe_bulk_load = false;
  // Checkpoint the write-ahead log on a thread and connection of the store's
  // own (WalCheckpointer) instead of inside the commits: for the collector's
  // ingest, whose group commits every agent waits on.
  bool background_checkpoints = false;
  // Migration tests only: migrate no further than this schema version (0 =
  // the newest), leaving the file as an older collector would. A store opened
  // so must only be used for what that version had.
  int stop_at_version_for_test = 0;
};

// The schema version this build writes and reads.
int SqliteSchemaVersion();

// Opens (and when allowed migrates) the database at `path`. Errors name the
// path and say what to fix.
absl::StatusOr<EventStorePtr> OpenSqliteEventStore(const std::string& path,
                                                   const SqliteOptions& options = {});

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_H_
