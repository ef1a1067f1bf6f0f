#include "agent/spool/sqlite_spool.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/sqlite/sqlite_util.h"
#include "common/status_macros.h"

namespace cleansweep::agent {
namespace {

using sqlite::Exec;
using sqlite::Statement;
using sqlite::Transaction;

constexpr char kSpoolFull[] = "spool_full";
constexpr char kWriteError[] = "spool_write_error";

int64_t EventTimeUs(const cleansweep::v1::Event& e) {
  return e.has_time() ? e.time().seconds() * 1000000 + e.time().nanos() / 1000 : 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSpool>> SqliteSpool::Open(const SqliteSpoolOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("spool: no file path");
  if (options.max_bytes == 0) return absl::InvalidArgumentError("spool: max_bytes must be > 0");
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(options.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "cannot open spool ", options.path, ": ", db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteSpool> spool(new SqliteSpool(db, options));
  absl::Status st = spool->CreateSchema();
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(spool->mu_);
    st = spool->LoadState();
  }
  if (!st.ok()) {
    return absl::Status(st.code(), absl::StrCat("spool ", options.path, ": ", st.message()));
  }
  spool->committer_ = std::thread([s = spool.get()] { s->CommitLoop(); });
  return spool;
}

SqliteSpool::SqliteSpool(sqlite3* db, SqliteSpoolOptions options)
    : db_(db), options_(std::move(options)) {}

SqliteSpool::~SqliteSpool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status st = CommitLocked();
    if (!st.ok()) LOG_ERROR("spool: final commit failed: %s", st.message());
  }
  sqlite3_close(db_);
}

absl::Status SqliteSpool::CreateSchema() {
  // Exclusive locking: a second agent on the same state directory fails here
  // instead of interleaving sequence numbers with this one.
  RETURN_IF_ERROR(Exec(db_, "PRAGMA locking_mode=EXCLUSIVE"));
  RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL"));
  // synchronous=NORMAL in WAL mode: a commit is written to the WAL without an
  // fsync. A killed or crashed process loses nothing committed (the OS has
  // the data); only a power failure or kernel crash can roll back the last
  // commits. The agent is a sensor that writes continuously; an fsync per
  // commit would cost milliseconds on a busy workstation disk, and what a
  // power cut loses is events from the instant the machine itself went down.
  RETURN_IF_ERROR(Exec(db_, "PRAGMA synchronous=NORMAL"));
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());  // takes the exclusive lock (SQLITE_BUSY if held)
  RETURN_IF_ERROR(Exec(db_,
                       "CREATE TABLE IF NOT EXISTS events ("
                       " sequence INTEGER PRIMARY KEY,"
                       " time_us INTEGER NOT NULL,"
                       " payload BLOB NOT NULL)"));
  RETURN_IF_ERROR(Exec(db_,
                       "CREATE TABLE IF NOT EXISTS meta ("
                       " key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID"));
  RETURN_IF_ERROR(Exec(db_,
                       "CREATE TABLE IF NOT EXISTS lost ("
                       " first_sequence INTEGER PRIMARY KEY,"
                       " last_sequence INTEGER NOT NULL,"
                       " count INTEGER NOT NULL,"
                       " reason TEXT NOT NULL)"));
  return tx.Commit();
}

absl::Status SqliteSpool::LoadState() {
  events_ = bytes_ = last_sequence_ = lost_total_ = 0;
  lost_.clear();
  {
    Statement q(db_, "SELECT key, value FROM meta");
    RETURN_IF_ERROR(q.status());
    while (q.Step()) {
      const std::string key = q.Text(0);
      if (key == "last_sequence") last_sequence_ = q.UInt(1);
      if (key == "lost_total") lost_total_ = q.UInt(1);
    }
    RETURN_IF_ERROR(q.status());
  }
  {
    Statement q(db_,
                "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0), COALESCE(MAX(sequence), 0) "
                "FROM events");
    RETURN_IF_ERROR(q.status());
    if (q.Step()) {
      events_ = q.UInt(0);
      bytes_ = q.UInt(1);
      // Never hand out a sequence that is already stored here.
      last_sequence_ = std::max(last_sequence_, q.UInt(2));
    }
    RETURN_IF_ERROR(q.status());
  }
  {
    Statement q(db_,
                "SELECT first_sequence, last_sequence, count, reason FROM lost "
                "ORDER BY first_sequence");
    RETURN_IF_ERROR(q.status());
    while (q.Step()) {
      lost_.push_back({q.UInt(0), q.UInt(1), q.UInt(2), q.Text(3)});
      last_sequence_ = std::max(last_sequence_, q.UInt(1));
    }
    RETURN_IF_ERROR(q.status());
  }
  return absl::OkStatus();
}

absl::Status SqliteSpool::BeginLocked() {
  if (in_tx_) return absl::OkStatus();
  RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  in_tx_ = true;
  pending_ = 0;
  pending_first_ = 0;
  tx_started_ = absl::Now();
  return absl::OkStatus();
}

absl::Status SqliteSpool::CommitLocked() {
  if (!in_tx_) return absl::OkStatus();
  absl::Status st = Exec(db_, "COMMIT");
  if (!st.ok()) {
    RecoverLocked(pending_first_, last_sequence_, "commit", st);
    return st;
  }
  in_tx_ = false;
  pending_ = 0;
  pending_first_ = 0;
  return absl::OkStatus();
}

void SqliteSpool::RecoverLocked(uint64_t first, uint64_t last, absl::string_view what,
                                const absl::Status& error) {
  if (in_tx_) {
    if (!sqlite3_get_autocommit(db_)) Exec(db_, "ROLLBACK").IgnoreError();
    in_tx_ = false;
    pending_ = 0;
    pending_first_ = 0;
  }
  absl::Status st = LoadState();
  if (!st.ok()) LOG_ERROR("spool: cannot reload state: %s", st.message());
  if (first == 0) return;
  // The rollback may have taken more than the failed event: whatever of
  // [first, last] is no longer stored is reported to the collector as lost.
  first = std::max(first, last_sequence_ + 1);
  for (const LostRange& r : lost_) first = std::max(first, r.last + 1);
  if (first > last) return;
  LOG_ERROR("spool: %s failed (%s); reporting sequences %d-%d as lost", what, error.message(),
            first, last);
  st = [&]() -> absl::Status {
    RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    in_tx_ = true;
    last_sequence_ = std::max(last_sequence_, last);
    RETURN_IF_ERROR(SetMetaLocked("last_sequence", last_sequence_));
    RETURN_IF_ERROR(RecordLostLocked(first, last, last - first + 1, kWriteError));
    RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    in_tx_ = false;
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    LOG_ERROR("spool: cannot record the loss of sequences %d-%d: %s", first, last, st.message());
    if (in_tx_ && !sqlite3_get_autocommit(db_)) Exec(db_, "ROLLBACK").IgnoreError();
    in_tx_ = false;
    LoadState().IgnoreError();
  }
}

void SqliteSpool::CommitLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (in_tx_ && absl::Now() >= tx_started_ + kCommitInterval) {
      absl::Status st = CommitLocked();
      if (!st.ok()) LOG_ERROR("spool: commit failed: %s", st.message());
    }
    absl::Duration wait = in_tx_ ? tx_started_ + kCommitInterval - absl::Now() : absl::Seconds(1);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(std::max(wait, absl::Milliseconds(1))));
  }
}

absl::Status SqliteSpool::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return CommitLocked();
}

absl::Status SqliteSpool::SetMetaLocked(const char* key, uint64_t value) {
  Statement s(db_,
              "INSERT INTO meta (key, value) VALUES (?, ?) "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  RETURN_IF_ERROR(s.status());
  s.Bind(1, key);
  s.Bind(2, static_cast<int64_t>(value));
  return s.Run();
}

void SqliteSpool::Push(cleansweep::v1::Event event) {
  const uint64_t seq = event.sequence();
  if (seq == 0 || seq > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    LOG_ERROR("spool: event sequence %d out of range; not queued", seq);
    return;
  }
  std::string payload;
  if (!event.SerializeToString(&payload)) payload.clear();
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status st = payload.empty() && event.ByteSizeLong() != 0
                        ? absl::InvalidArgumentError("event cannot be serialized")
                        : PushLocked(event, payload);
  if (!st.ok()) {
    RecoverLocked(in_tx_ && pending_first_ != 0 ? std::min(pending_first_, seq) : seq,
                  std::max(seq, last_sequence_), "storing an event", st);
    return;
  }
  if (pending_ >= kCommitEvents || absl::Now() >= tx_started_ + kCommitInterval) {
    CommitLocked().IgnoreError();  // logged and recovered inside
  }
}

absl::Status SqliteSpool::PushLocked(const cleansweep::v1::Event& event,
                                     const std::string& payload) {
  const uint64_t seq = event.sequence();
  RETURN_IF_ERROR(BeginLocked());
  Statement insert(db_,
                   "INSERT INTO events (sequence, time_us, payload) VALUES (?, ?, ?) "
                   "ON CONFLICT (sequence) DO NOTHING");
  RETURN_IF_ERROR(insert.status());
  insert.Bind(1, static_cast<int64_t>(seq));
  insert.Bind(2, EventTimeUs(event));
  insert.BindBlobStatic(3, payload);
  RETURN_IF_ERROR(insert.Run());
  if (sqlite3_changes(db_) == 1) {
    ++events_;
    bytes_ += payload.size();
    ++pending_;
    if (pending_first_ == 0 || seq < pending_first_) pending_first_ = seq;
  }
  if (seq > last_sequence_) {
    last_sequence_ = seq;
    RETURN_IF_ERROR(SetMetaLocked("last_sequence", seq));
  }
  if (bytes_ > options_.max_bytes) RETURN_IF_ERROR(DropOldestLocked());
  return absl::OkStatus();
}

absl::Status SqliteSpool::DropOldestLocked() {
  uint64_t first = 0, last = 0, count = 0, freed = 0;
  {
    Statement q(db_, "SELECT sequence, length(payload) FROM events ORDER BY sequence");
    RETURN_IF_ERROR(q.status());
    while (bytes_ - freed > options_.max_bytes && q.Step()) {
      if (count == 0) first = q.UInt(0);
      last = q.UInt(0);
      freed += q.UInt(1);
      ++count;
    }
    RETURN_IF_ERROR(q.status());
  }  // finalized before the DELETE
  if (count == 0) return absl::OkStatus();
  Statement del(db_, "DELETE FROM events WHERE sequence <= ?");
  RETURN_IF_ERROR(del.status());
  del.Bind(1, static_cast<int64_t>(last));
  RETURN_IF_ERROR(del.Run());
  events_ -= count;
  bytes_ -= freed;
  return RecordLostLocked(first, last, count, kSpoolFull);
}

absl::Status SqliteSpool::RecordLostLocked(uint64_t first, uint64_t last, uint64_t count,
                                           const std::string& reason) {
  lost_total_ += count;
  RETURN_IF_ERROR(SetMetaLocked("lost_total", lost_total_));
  if (!lost_.empty() && lost_.back().reason == reason && lost_.back().last + 1 == first) {
    // Adjacent to the previous drop: one range, so the collector records one gap.
    LostRange& r = lost_.back();
    r.last = last;
    r.count += count;
    Statement up(db_, "UPDATE lost SET last_sequence = ?, count = ? WHERE first_sequence = ?");
    RETURN_IF_ERROR(up.status());
    up.Bind(1, static_cast<int64_t>(r.last));
    up.Bind(2, static_cast<int64_t>(r.count));
    up.Bind(3, static_cast<int64_t>(r.first));
    return up.Run();
  }
  // Logged once per range; a full spool then drops on nearly every event.
  LOG_WARNING(
      "spool: dropping events without sending them (%s), from sequence %d on "
      "(limit %d payload bytes)",
      reason, first, options_.max_bytes);
  Statement ins(db_,
                "INSERT OR REPLACE INTO lost (first_sequence, last_sequence, count, reason) "
                "VALUES (?, ?, ?, ?)");
  RETURN_IF_ERROR(ins.status());
  ins.Bind(1, static_cast<int64_t>(first));
  ins.Bind(2, static_cast<int64_t>(last));
  ins.Bind(3, static_cast<int64_t>(count));
  ins.Bind(4, reason);
  RETURN_IF_ERROR(ins.Run());
  LostRange r{first, last, count, reason};
  auto it =
      std::lower_bound(lost_.begin(), lost_.end(), r,
                       [](const LostRange& a, const LostRange& b) { return a.first < b.first; });
  if (it != lost_.end() && it->first == first) {
    *it = r;
  } else {
    lost_.insert(it, r);
  }
  return absl::OkStatus();
}

uint64_t SqliteSpool::CopyAfter(
    uint64_t after, size_t max,
    google::protobuf::RepeatedPtrField<cleansweep::v1::Event>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Only committed events leave the machine: a crash after sending must not
  // let a restarted agent reuse a sequence the collector already holds.
  // (CopyAfter is const for the queue's readers; committing changes no
  // content, only when it becomes durable.)
  if (!const_cast<SqliteSpool*>(this)->CommitLocked().ok()) return after;
  uint64_t highest = after;
  if (max == 0 || after >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return highest;
  }
  Statement q(db_,
              "SELECT sequence, payload FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?");
  q.Bind(1, static_cast<int64_t>(after));
  q.Bind(2, static_cast<int64_t>(max));
  while (q.Step()) {
    const absl::string_view payload = q.BlobView(1);
    cleansweep::v1::Event* e = out->Add();
    if (!e->ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
        e->sequence() != q.UInt(0)) {
      // A damaged row: still send its sequence so the collector's count
      // stays contiguous, but say so.
      LOG_ERROR("spool: stored event %d is damaged; sending it without content", q.UInt(0));
      e->Clear();
      e->set_sequence(q.UInt(0));
    }
    highest = q.UInt(0);
  }
  if (!q.status().ok()) LOG_ERROR("%s", q.status().message());
  return highest;
}

size_t SqliteSpool::CountAfter(uint64_t after, size_t cap) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cap == 0 || after >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return 0;
  Statement q(db_, "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE sequence > ? LIMIT ?)");
  q.Bind(1, static_cast<int64_t>(after));
  q.Bind(2, static_cast<int64_t>(cap));
  size_t n = q.Step() ? static_cast<size_t>(q.UInt(0)) : 0;
  if (!q.status().ok()) LOG_ERROR("%s", q.status().message());
  return n;
}

size_t SqliteSpool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(events_);
}

uint64_t SqliteSpool::last_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_sequence_;
}

std::vector<LostRange> SqliteSpool::lost_ranges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lost_;
}

uint64_t SqliteSpool::first_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_ == 0) return 0;
  Statement q(db_, "SELECT MIN(sequence) FROM events");
  return q.Step() ? q.UInt(0) : 0;
}

void SqliteSpool::AckThrough(uint64_t sequence) {
  if (sequence == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t through =
      static_cast<int64_t>(std::min<uint64_t>(sequence, std::numeric_limits<int64_t>::max()));
  const bool lost_covered = !lost_.empty() && lost_.front().last <= sequence;
  if (events_ == 0 && !lost_covered) return;
  // Joins the group transaction: if a crash undoes the delete, the rows are
  // merely resent and the collector ignores the duplicates.
  absl::Status st = [&]() -> absl::Status {
    RETURN_IF_ERROR(BeginLocked());
    uint64_t n = 0, freed = 0;
    {
      Statement q(db_,
                  "SELECT COUNT(*), COALESCE(SUM(length(payload)), 0) FROM events "
                  "WHERE sequence <= ?");
      RETURN_IF_ERROR(q.status());
      q.Bind(1, through);
      if (q.Step()) {
        n = q.UInt(0);
        freed = q.UInt(1);
      }
      RETURN_IF_ERROR(q.status());
    }
    if (n > 0) {
      Statement del(db_, "DELETE FROM events WHERE sequence <= ?");
      RETURN_IF_ERROR(del.status());
      del.Bind(1, through);
      RETURN_IF_ERROR(del.Run());
    }
    if (lost_covered) {
      Statement del(db_, "DELETE FROM lost WHERE last_sequence <= ?");
      RETURN_IF_ERROR(del.status());
      del.Bind(1, through);
      RETURN_IF_ERROR(del.Run());
    }
    events_ -= n;
    bytes_ -= freed;
    lost_.erase(std::remove_if(lost_.begin(), lost_.end(),
                               [&](const LostRange& r) { return r.last <= sequence; }),
                lost_.end());
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    RecoverLocked(pending_first_, last_sequence_, "dropping acknowledged events", st);
  }
}

OutboundQueueStats SqliteSpool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  OutboundQueueStats s;
  s.events = events_;
  s.bytes = bytes_;
  s.lost_events = lost_total_;
  if (events_ > 0) {
    Statement q(db_, "SELECT time_us FROM events ORDER BY sequence LIMIT 1");
    if (q.Step()) s.oldest_time_us = q.Int(0);
  }
  return s;
}

absl::Status SqliteSpool::RaiseLastSequence(uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sequence <= last_sequence_) return absl::OkStatus();
  RETURN_IF_ERROR(BeginLocked());
  absl::Status st = SetMetaLocked("last_sequence", sequence);
  if (st.ok()) {
    last_sequence_ = sequence;
    st = CommitLocked();
  }
  if (!st.ok()) RecoverLocked(0, 0, "raising the sequence", st);
  return st;
}

}  // namespace cleansweep::agent
