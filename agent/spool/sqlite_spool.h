// SqliteSpool: the agent's on-disk outbound queue. Every event the uplink will
// send is stored here first, and stays until the collector acknowledges it, so
// events survive an agent restart or crash and a collector outage.
//
// One SQLite file (WAL) with three tables: `events` (sequence → serialized
// Event), `meta` (the last sequence ever assigned, the total of events ever
// dropped) and `lost` (ranges dropped without sending, kept until an
// acknowledgement covers them). last_sequence() is the agent's sequence
// counter: it survives restarts, so numbering stays contiguous.
//
// Durability (group commit): Push adds the event to an open transaction that
// is committed after kCommitEvents events, or by a background thread once it
// is kCommitInterval old, or by Flush(); CopyAfter commits before it reads,
// so an event is never sent before it is on disk. The crash window: a killed
// process (SIGKILL, crash) loses the events of the last kCommitInterval that
// were not yet committed; they were never sent, and their sequence numbers
// are handed out again after the restart (the collector never saw them).
// synchronous=NORMAL: a power failure may also roll back the last commits
// (see the .cc).
//
// Bounded: when the stored payload bytes exceed max_bytes, the OLDEST events
// are deleted until the rest fits, and the dropped range is recorded as a
// LostRange with reason "spool_full" (adjacent drops extend one range).
//
// Errors: Open fails with a Status (unreadable, corrupt, or a file another
// process holds: the file is opened in exclusive locking mode). Later engine
// errors are logged; an event that cannot be written is recorded as lost
// (reason "spool_write_error") so the collector still hears of it.
//
// Thread-safe (an internal mutex; the committing thread needs it), though the
// uplink serializes its calls anyway.
#ifndef CLEANSWEEP_AGENT_SPOOL_SQLITE_SPOOL_H_
#define CLEANSWEEP_AGENT_SPOOL_SQLITE_SPOOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/uplink/outbound_queue.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cleansweep::agent {

struct SqliteSpoolOptions {
  std::string path;                 // the SQLite file; created if missing
  uint64_t max_bytes = 256u << 20;  // payload bytes kept before the oldest are dropped
};

class SqliteSpool final : public OutboundQueue {
 public:
  static constexpr size_t kCommitEvents = 1000;
  static constexpr absl::Duration kCommitInterval = absl::Milliseconds(20);

  static absl::StatusOr<std::unique_ptr<SqliteSpool>> Open(const SqliteSpoolOptions& options);
  ~SqliteSpool() override;
  SqliteSpool(const SqliteSpool&) = delete;
  SqliteSpool& operator=(const SqliteSpool&) = delete;

  void Push(cleansweep::v1::Event event) override;
  uint64_t CopyAfter(uint64_t after, size_t max,
                     google::protobuf::RepeatedPtrField<cleansweep::v1::Event>* out) const override;
  size_t CountAfter(uint64_t after, size_t cap) const override;
  void AckThrough(uint64_t sequence) override;
  size_t size() const override;
  uint64_t first_sequence() const override;
  uint64_t last_sequence() const override;
  std::vector<LostRange> lost_ranges() const override;
  OutboundQueueStats stats() const override;

  // Commits what Push added so far (a killed process keeps it).
  absl::Status Flush();

  // Raises the persisted last sequence to at least `sequence` (taking over a
  // counter kept elsewhere before the spool existed).
  absl::Status RaiseLastSequence(uint64_t sequence);

 private:
  SqliteSpool(sqlite3* db, SqliteSpoolOptions options);
  absl::Status CreateSchema();
  // (Re)reads the mirrors below from the file.
  absl::Status LoadState();
  absl::Status BeginLocked();
  absl::Status CommitLocked();
  // After a failed write: rolls back the open transaction, reloads the
  // mirrors and records `first`..`last` (whatever of it was not committed)
  // as lost.
  void RecoverLocked(uint64_t first, uint64_t last, absl::string_view what,
                     const absl::Status& error);
  void CommitLoop();
  absl::Status PushLocked(const cleansweep::v1::Event& event, const std::string& payload);
  // Deletes the oldest events until the payload fits max_bytes.
  absl::Status DropOldestLocked();
  // Adds [first, last] (count events) to the lost ranges, in the open transaction.
  absl::Status RecordLostLocked(uint64_t first, uint64_t last, uint64_t count,
                                const std::string& reason);
  absl::Status SetMetaLocked(const char* key, uint64_t value);

  sqlite3* db_;
  const SqliteSpoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool in_tx_ = false;
  size_t pending_ = 0;          // events pushed in the open transaction
  uint64_t pending_first_ = 0;  // lowest sequence pushed in it
  absl::Time tx_started_;
  bool stopping_ = false;
  std::thread committer_;
  uint64_t events_ = 0;
  uint64_t bytes_ = 0;
  uint64_t last_sequence_ = 0;
  uint64_t lost_total_ = 0;
  std::vector<LostRange> lost_;  // mirrors the `lost` table, lowest first
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SPOOL_SQLITE_SPOOL_H_
