// SqliteEventStore: opening (and migrating) the file, closing it, the agents
// table and the cache of prepared statements. The other methods are in
// sqlite_event_store_{events,heartbeats,credentials,hosts}.cc.
#include "collector/store/sqlite_event_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store_internal.h"
#include "collector/store/sqlite_schema.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

absl::Status SqliteEventStore::UpsertAgent(const AgentIdentity& agent, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  RETURN_IF_ERROR(ValidateAgentId(agent.agent_id));
  return UpsertAgentLocked(agent, now);
}

absl::Status SqliteEventStore::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (db_ == nullptr) return absl::OkStatus();
  checkpointer_.reset();  // before the connection it hooks into
  for (auto& s : cached_) s.reset();  // finalized, or close would fail with BUSY
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("closing ", path_, ": ", sqlite3_errstr(rc)));
  }
  db_ = nullptr;
  return absl::OkStatus();
}

absl::Status SqliteEventStore::CheckOpen() const {
  if (db_ == nullptr) return absl::FailedPreconditionError("event store is closed");
  return absl::OkStatus();
}

absl::Status SqliteEventStore::ValidateAgentId(absl::string_view agent_id) {
  if (agent_id.empty()) return absl::InvalidArgumentError("empty agent id");
  return absl::OkStatus();
}

absl::Status SqliteEventStore::UpsertAgentLocked(const AgentIdentity& agent, absl::Time now) {
  ASSIGN_OR_RETURN(
      Statement * prepared,
      CachedLocked(kUpsertAgent,
                   "INSERT INTO agents (agent_id, hostname, version, peer, first_seen_us, "
                   "last_seen_us) VALUES (?,?,?,?,?,?) ON CONFLICT (agent_id) DO UPDATE SET "
                   "hostname = excluded.hostname, version = excluded.version, "
                   "peer = excluded.peer, "
                   "last_seen_us = MAX(last_seen_us, excluded.last_seen_us)"));
  CachedStatement cached(prepared);
  Statement& q = *cached;
  const int64_t now_us = absl::ToUnixMicros(now);
  q.Bind(1, agent.agent_id);
  q.Bind(2, agent.hostname);
  q.Bind(3, agent.version);
  q.Bind(4, agent.peer);
  q.Bind(5, now_us);
  q.Bind(6, now_us);
  return q.Run();
}

absl::StatusOr<Statement*> SqliteEventStore::CachedLocked(CachedSql which, absl::string_view sql) {
  std::unique_ptr<Statement>& slot = cached_[which];
  if (slot == nullptr) {
    auto prepared = std::make_unique<Statement>(db_, sql);
    RETURN_IF_ERROR(prepared->status());
    slot = std::move(prepared);
  }
  return slot.get();
}

}  // namespace cleansweep::collector::sqlite_internal

namespace cleansweep::collector {
namespace {

using sqlite::Exec;
using sqlite::Statement;
using sqlite_internal::Migrate;
using sqlite_internal::ReadUserVersion;
using sqlite_internal::SqliteEventStore;

absl::Status OpenError(const std::string& path, absl::string_view what, sqlite3* db, int rc) {
  return absl::UnavailableError(absl::StrCat("cannot open database ", path, ": ", what, ": ",
                                             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

absl::StatusOr<EventStorePtr> OpenSqliteEventStore(const std::string& path,
                                                   const SqliteOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("empty database path");
  const bool may_create = options.create && !options.read_only;
  struct stat st;
  if (!may_create && ::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot open database ", path, ": ", std::strerror(errno)));
  }
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (may_create) flags |= SQLITE_OPEN_CREATE;
  // The store serializes every use of the connection with its own mutex, so
  // SQLite's per-call connection mutex (a lock and unlock around every bind,
  // step and column read: ~7 % of the collector's CPU under load) is skipped.
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Owns `db` until it is handed to the store.
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, &sqlite3_close);
  if (rc != SQLITE_OK) return OpenError(path, "open", db, rc);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);

  absl::StatusOr<int> version = ReadUserVersion(db);
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read database ", path, ": ",
                                                      version.status().message(),
                                                      " (is it a cleansweep collector database?)"));
  }
  const int known = SqliteSchemaVersion();
  if (*version > known) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " has schema version ", *version,
                     ", newer than this cleansweep-collector understands (", known,
                     "); upgrade cleansweep-collector or use a matching version"));
  }
  if (options.read_only) {
    if (*version < known) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path, " has schema version ", *version, ", this build expects ", known,
          "; run `cleansweep-collector serve --db ", path, "` once to migrate it"));
    }
  } else {
    {
      // WAL lets readers (the CLI, the status page) run beside the writer.
      Statement wal(db, "PRAGMA journal_mode = WAL");
      RETURN_IF_ERROR(wal.status());
      if (!wal.Step() || wal.Text(0) != "wal") {
        return OpenError(path, "cannot switch to WAL mode", db, SQLITE_OK);
      }
    }
    RETURN_IF_ERROR(
        Exec(db, options.unsafe_bulk_load ? "PRAGMA synchronous = OFF" : "PRAGMA synchronous = FULL"));
    // A group commit writes up to ~50,000 rows (~15 MiB of table and index
    // pages) in one transaction. With SQLite's default 2 MiB cache the dirty
    // pages spill to the WAL in the middle of the transaction and are written
    // again when touched later: ~10 % of the writer thread under load. The
    // cache is filled only as pages are used, so an idle collector stays small.
    RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size = -32768"));  // KiB
    RETURN_IF_ERROR(Exec(db, "PRAGMA foreign_keys = ON"));
    const int target =
        options.stop_at_version_for_test > 0 ? options.stop_at_version_for_test : known;
    absl::Status migrated = Migrate(db, *version, target);
    if (!migrated.ok()) {
      return absl::InternalError(absl::StrCat("migrating database ", path, " from version ",
                                              *version, ": ", migrated.message()));
    }
  }
  std::unique_ptr<WalCheckpointer> checkpointer;
  if (options.background_checkpoints && !options.read_only) {
    ASSIGN_OR_RETURN(checkpointer,
                     WalCheckpointer::Start(db, path, options.unsafe_bulk_load ? "OFF" : "FULL"));
  }
  auto* store = new SqliteEventStore(guard.release(), path);
  store->SetCheckpointer(std::move(checkpointer));
  return EventStorePtr(store);
}

}  // namespace cleansweep::collector
