// WalCheckpointer: moves SQLite's WAL checkpoints off a writing connection.
//
// By default the connection that commits copies the write-ahead log back into
// the database file every ~1,000 pages (a checkpoint: reads, writes and an
// fsync), inside the commit of whoever crossed the threshold. For the
// collector that is the group-commit thread, which every agent waits on.
// A WalCheckpointer takes that over: it replaces the writer's automatic
// checkpoint with a notification, and a thread of its own with its own
// connection runs PASSIVE checkpoints (they never block the writer or
// readers) whenever the log has grown by `pages` since the last one.
// Durability is unchanged: a commit is durable once it is in the fsynced log.
//
// The writer starts the log over only when a checkpoint has copied all of it
// before its next transaction begins. A writer that commits back to back
// rarely leaves such a moment, so under sustained load the log would grow
// without bound; once it reaches `hard_pages` the writer checkpoints inside
// its own commit, as SQLite does by default, and the log starts over.
//
// Thread-safety: construct and destroy on one thread; the hook may run on
// any thread that commits on `writer`. Destroy before closing `writer`.
#ifndef CLEANSWEEP_COLLECTOR_STORE_WAL_CHECKPOINTER_H_
#define CLEANSWEEP_COLLECTOR_STORE_WAL_CHECKPOINTER_H_

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cleansweep::collector {

class WalCheckpointer {
 public:
  // Opens a connection of its own to `path` (the database `writer` has open
  // in WAL mode) and installs itself as `writer`'s WAL hook. `synchronous`
  // is the PRAGMA value for the checkpoint connection ("FULL" or "OFF").
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(sqlite3* writer,
                                                                const std::string& path,
                                                                const std::string& synchronous,
                                                                int pages = 1000,
                                                                int hard_pages = 10000);
  ~WalCheckpointer();  // stops the thread, restores the writer's default checkpoint
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints completed so far by the thread and, past hard_pages, by the
  // writer itself (for tests and logs).
  uint64_t checkpoints() const;
  uint64_t writer_checkpoints() const;
  // Waits until no checkpoint is running or wanted (every commit so far that
  // crossed the threshold was followed by a completed checkpoint); false on
  // timeout.
  bool WaitUntilIdle(absl::Duration timeout) const;

 private:
  WalCheckpointer(sqlite3* writer, sqlite3* own, int pages, int hard_pages);
  static int OnCommit(void* self, sqlite3* db, const char* name, int wal_pages);
  void Loop();

  sqlite3* const writer_;
  sqlite3* const own_;  // used by the thread only
  const int pages_;
  const int hard_pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  mutable std::condition_variable idle_cv_;  // a checkpoint completed
  bool wanted_ = false;    // guarded by mu_
  bool running_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  uint64_t checkpoints_ = 0;  // guarded by mu_
  std::atomic<uint64_t> writer_checkpoints_{0};
  std::thread thread_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_STORE_WAL_CHECKPOINTER_H_
