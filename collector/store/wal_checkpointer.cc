#include "collector/store/wal_checkpointer.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace cleansweep::collector {

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(
    sqlite3* writer, const std::string& path, const std::string& synchronous, int pages,
    int hard_pages) {
  sqlite3* own = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string why = own != nullptr ? sqlite3_errmsg(own) : sqlite3_errstr(rc);
    sqlite3_close(own);
    return absl::InternalError(absl::StrCat("cannot open ", path, " for checkpoints: ", why));
  }
  const std::string pragma = absl::StrCat("PRAGMA synchronous = ", synchronous);
  char* err = nullptr;
  if (sqlite3_exec(own, pragma.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err != nullptr ? err : "?";
    sqlite3_free(err);
    sqlite3_close(own);
    return absl::InternalError(absl::StrCat(pragma, " on ", path, ": ", why));
  }
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(writer, own, pages, hard_pages));
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, sqlite3* own, int pages, int hard_pages)
    : writer_(writer), own_(own), pages_(pages), hard_pages_(hard_pages) {
  thread_ = std::thread([this] { Loop(); });
  // Replaces the automatic checkpoint (which is itself this hook).
  sqlite3_wal_hook(writer_, &WalCheckpointer::OnCommit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_, 1000);  // back to SQLite's own
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  sqlite3_close(own_);
}

uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

bool WalCheckpointer::WaitUntilIdle(absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [&] { return !wanted_ && !running_; });
}

uint64_t WalCheckpointer::writer_checkpoints() const { return writer_checkpoints_.load(); }

// Runs inside every commit on the writer: only wakes the thread, unless the
// log has grown past hard_pages.
int WalCheckpointer::OnCommit(void* self_ptr, sqlite3* db, const char* name, int wal_pages) {
  auto* self = static_cast<WalCheckpointer*>(self_ptr);
  if (wal_pages >= self->hard_pages_) {
    // Nothing else writes now, so this one copies the whole log (unless the
    // thread's checkpoint holds the lock: then the next commit tries again).
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      self->writer_checkpoints_.fetch_add(1);
    }
    return SQLITE_OK;
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    if (wal_pages >= self->pages_ && !self->wanted_) {
      self->wanted_ = true;
      wake = true;
    }
  }
  if (wake) self->cv_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::Loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      // Commits from now on want another checkpoint: this one may not copy
      // what they add.
      wanted_ = false;
      running_ = true;
    }
    int log_frames = 0, done_frames = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_, "main", SQLITE_CHECKPOINT_PASSIVE,
                                             &log_frames, &done_frames);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      LOG_WARNING("WAL checkpoint failed: %s (the log grows until the next one succeeds)",
                  sqlite3_errmsg(own_));
    }
    // The writer restarts the log from its beginning once a checkpoint has
    // copied all of it (at its next transaction).
    std::lock_guard<std::mutex> lock(mu_);
    if (rc == SQLITE_OK) ++checkpoints_;
    running_ = false;
    idle_cv_.notify_all();
  }
}

}  // namespace cleansweep::collector
