#include "collector/store/sqlite_event_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <array>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/host_facts.h"
#include "common/status_macros.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Heartbeat;

// The schema, one entry per version: applying kMigrations[i] takes a database
// from user_version i to i + 1. Only ever append; never edit a shipped step.
const std::vector<std::vector<const char*>>& Migrations() {
  static const auto* steps = new std::vector<std::vector<const char*>>{
      // Version 1: agents, events, heartbeats, per-agent progress.
      {
          R"sql(CREATE TABLE agents (
                  agent_id      TEXT PRIMARY KEY,
                  hostname      TEXT NOT NULL,
                  version       TEXT NOT NULL,
                  peer          TEXT NOT NULL,
                  first_seen_us INTEGER NOT NULL,
                  last_seen_us  INTEGER NOT NULL))sql",
          R"sql(CREATE TABLE events (
                  agent_id    TEXT NOT NULL,
                  sequence    INTEGER NOT NULL,
                  kind        TEXT NOT NULL,
                  time_us     INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  src_ip      TEXT NOT NULL,
                  dst_ip      TEXT NOT NULL,
                  dst_port    INTEGER NOT NULL,
                  payload     BLOB NOT NULL,
                  PRIMARY KEY (agent_id, sequence)) WITHOUT ROWID)sql",
          "CREATE INDEX events_by_time ON events (time_us)",
          R"sql(CREATE TABLE heartbeats (
                  agent_id               TEXT NOT NULL,
                  time_us                INTEGER NOT NULL,
                  received_us            INTEGER NOT NULL,
                  pcap_received          INTEGER NOT NULL,
                  pcap_dropped           INTEGER NOT NULL,
                  pcap_interface_dropped INTEGER NOT NULL,
                  packets                INTEGER NOT NULL,
                  events                 INTEGER NOT NULL,
                  payload                BLOB NOT NULL))sql",
          "CREATE INDEX heartbeats_by_agent_time ON heartbeats (agent_id, time_us)",
          R"sql(CREATE TABLE agent_progress (
                  agent_id       TEXT PRIMARY KEY,
                  acked_sequence INTEGER NOT NULL))sql",
          // Sequences an agent declared lost: [first_sequence, last_sequence],
          // of which `missing` were never stored.
          R"sql(CREATE TABLE gaps (
                  agent_id       TEXT NOT NULL,
                  first_sequence INTEGER NOT NULL,
                  last_sequence  INTEGER NOT NULL,
                  missing        INTEGER NOT NULL,
                  recorded_us    INTEGER NOT NULL))sql",
          "CREATE INDEX gaps_by_agent ON gaps (agent_id, first_sequence)",
      },
      // Version 2: the hosts operators expect to report (inventory import).
      {
          R"sql(CREATE TABLE inventory (
                  hostname    TEXT PRIMARY KEY,
                  mac         TEXT NOT NULL,
                  owner       TEXT NOT NULL,
                  imported_at INTEGER NOT NULL) WITHOUT ROWID)sql",  // Unix microseconds
      },
      // Version 3: why sequences were lost ("spool_full", "agent_restart", ...).
      {
          "ALTER TABLE gaps ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
      },
      // Version 4: enrolled agents' credentials. Only the SHA-256 of a node
      // key is kept; revoked_us is set once and never cleared.
      {
          R"sql(CREATE TABLE agent_credentials (
                  agent_id      TEXT PRIMARY KEY,
                  key_sha256    TEXT NOT NULL UNIQUE,
                  enrolled_us   INTEGER NOT NULL,
                  enrolled_peer TEXT NOT NULL,
                  revoked_us    INTEGER,
                  request_sha256 TEXT NOT NULL DEFAULT '') WITHOUT ROWID)sql",
      },
      // Version 5: host facts and which address belonged to which host when.
      // An open address period has valid_to_us NULL; at most one per
      // (agent, interface, mac, address). Collector clock in *_seen_us and
      // valid_to_us, the agent's (HostFacts.time) in *_observed_us.
      {
          R"sql(CREATE TABLE host_facts (
                  agent_id    TEXT PRIMARY KEY,
                  hostname    TEXT NOT NULL,
                  os          TEXT NOT NULL,
                  kernel      TEXT NOT NULL,
                  observed_us INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  payload     BLOB NOT NULL) WITHOUT ROWID)sql",
          R"sql(CREATE TABLE address_history (
                  agent_id           TEXT NOT NULL,
                  interface          TEXT NOT NULL,
                  mac                TEXT NOT NULL,
                  address            TEXT NOT NULL,
                  first_seen_us      INTEGER NOT NULL,
                  last_seen_us       INTEGER NOT NULL,
                  valid_to_us        INTEGER,
                  first_observed_us  INTEGER NOT NULL,
                  last_observed_us   INTEGER NOT NULL,
                  closed_observed_us INTEGER))sql",
          "CREATE INDEX address_history_by_address ON address_history (address, first_seen_us)",
          "CREATE INDEX address_history_by_agent ON address_history (agent_id, first_seen_us)",
          R"sql(CREATE UNIQUE INDEX address_history_open
                  ON address_history (agent_id, interface, mac, address)
                  WHERE valid_to_us IS NULL)sql",
      },
      // Version 6: events in arrival order. Rows go to the end of a rowid
      // table (an append, whatever the interleaving of agents), and
      // (agent_id, sequence) becomes a small unique index beside it: the
      // wide row (payload) is no longer inserted in the middle of a key-ordered
      // tree at one place per agent, which split pages on every batch.
      {
          R"sql(CREATE TABLE events_by_arrival (
                  agent_id    TEXT NOT NULL,
                  sequence    INTEGER NOT NULL,
                  kind        TEXT NOT NULL,
                  time_us     INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  src_ip      TEXT NOT NULL,
                  dst_ip      TEXT NOT NULL,
                  dst_port    INTEGER NOT NULL,
                  payload     BLOB NOT NULL))sql",
          R"sql(INSERT INTO events_by_arrival (agent_id, sequence, kind, time_us, received_us,
                                            src_ip, dst_ip, dst_port, payload)
                SELECT agent_id, sequence, kind, time_us, received_us, src_ip, dst_ip, dst_port,
                       payload FROM events ORDER BY received_us, agent_id, sequence)sql",
          "DROP TABLE events",
          "ALTER TABLE events_by_arrival RENAME TO events",
          "CREATE UNIQUE INDEX events_by_agent_sequence ON events (agent_id, sequence)",
          "CREATE INDEX events_by_time ON events (time_us)",
      },
  };
  return *steps;
}

int64_t TimestampMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// SQLite stores signed 64-bit integers; counters above that are clamped
// rather than wrapped into negative numbers.
int64_t ClampToInt64(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(v);
}

// Unix microseconds; the infinite past / future map to the int64 limits.
int64_t MicrosOrLimit(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

// Division rounding toward negative infinity (times before 1970 stay valid).
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void SetTimestampMicros(int64_t us, google::protobuf::Timestamp* ts) {
  const int64_t seconds = FloorDiv(us, 1000000);
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>((us - seconds * 1000000) * 1000));
}

struct EventColumns {
  const char* kind = "unknown";
  const cleansweep::v1::Endpoint* client = nullptr;
  const cleansweep::v1::Endpoint* server = nullptr;
};

EventColumns ColumnsOf(const Event& e) {
  EventColumns c;
  switch (e.kind_case()) {
    case Event::kSmtp:
      c = {"smtp", &e.smtp().client(), &e.smtp().server()};
      break;
    case Event::kDns:
      c = {"dns", &e.dns().client(), &e.dns().server()};
      break;
    case Event::kWormPort:
      c = {"worm_port", &e.worm_port().client(), &e.worm_port().server()};
      break;
    case Event::KIND_NOT_SET:
      break;
  }
  return c;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, absl::string_view sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status status() const {
    if (rc_ == SQLITE_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("sqlite: ", sqlite3_errmsg(db_)));
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, absl::string_view v) {
    // An empty view may have a null data(), which SQLite would bind as NULL;
    // empty text must stay empty text (NOT NULL columns).
    sqlite3_bind_text(stmt_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // Without SQLite's private copy: `v` must stay valid until the statement is
  // stepped and Reset() (the hot insert path; saves a malloc and a copy each).
  // Empty stays empty, never NULL (as in Bind).
  void BindStatic(int i, absl::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  void BindBlobStatic(int i, absl::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  // Returns true while a row is available; errors end the iteration and are
  // reported by status().
  bool Step() {
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW) {
      rc_ = SQLITE_OK;
      return true;
    }
    if (rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
    return false;
  }
  // Runs a statement that returns no rows.
  absl::Status Run() {
    while (Step()) {
    }
    if (rc_ != SQLITE_OK) {
      return absl::InternalError(absl::StrCat("sqlite: ", sqlite3_errmsg(db_)));
    }
    return absl::OkStatus();
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (stmt_ != nullptr) rc_ = SQLITE_OK;  // a reused statement starts clean
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// A statement of the store's own connection prepared once and kept (the
// per-batch path runs the same few statements hundreds of times a second).
// The handle resets it and clears its bindings when it goes out of scope, so
// a SELECT left unfinished by an early return cannot hold up COMMIT.
class CachedStatement {
 public:
  explicit CachedStatement(Statement* s) : s_(s) {}
  ~CachedStatement() { s_->Reset(); }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  Statement* operator->() { return s_; }
  Statement& operator*() { return *s_; }

 private:
  Statement* s_;
};

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(absl::StrCat("sqlite: ", err ? err : "unknown error",
                                                      " (while running: ", sql, ")"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

// BEGIN IMMEDIATE … COMMIT, rolled back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_ && !committed_) Exec(db_, "ROLLBACK").IgnoreError();
  }
  absl::Status Begin() {
    RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    RETURN_IF_ERROR(Exec(db_, "COMMIT"));
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
  bool committed_ = false;
};

class SqliteEventStore final : public EventStore {
 public:
  SqliteEventStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteEventStore() override { Close().IgnoreError(); }

  absl::Status UpsertAgent(const AgentIdentity& agent, absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(ValidateAgentId(agent.agent_id));
    return UpsertAgentLocked(agent, now);
  }

  absl::StatusOr<uint64_t> AppendEvents(const AgentIdentity& agent,
                                        absl::Span<const Event> events,
                                        absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Transaction tx(db_);
    RETURN_IF_ERROR(tx.Begin());
    ASSIGN_OR_RETURN(uint64_t acked, AppendEventsLocked(agent, events, now));
    RETURN_IF_ERROR(tx.Commit());
    return acked;
  }

  // One transaction (one fsync) for the whole group; each batch inside a
  // savepoint, so a refused batch leaves the others intact.
  std::vector<absl::StatusOr<uint64_t>> AppendEventGroups(absl::Span<const EventAppend> batches,
                                                          absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<absl::StatusOr<uint64_t>> results;
    auto fail_all = [&](const absl::Status& s) {
      results.assign(batches.size(), s);
      return results;
    };
    if (absl::Status s = CheckOpen(); !s.ok()) return fail_all(s);
    Transaction tx(db_);
    if (absl::Status s = tx.Begin(); !s.ok()) return fail_all(s);
    results.reserve(batches.size());
    for (const EventAppend& b : batches) {
      if (absl::Status s = Exec(db_, "SAVEPOINT batch"); !s.ok()) return fail_all(s);
      absl::StatusOr<uint64_t> acked = AppendEventsLocked(*b.agent, b.events, now);
      absl::Status end = Exec(db_, acked.ok() ? "RELEASE batch"
                                              : "ROLLBACK TO batch; RELEASE batch");
      if (!end.ok()) return fail_all(end);
      results.push_back(std::move(acked));
    }
    if (absl::Status s = tx.Commit(); !s.ok()) return fail_all(s);
    return results;
  }

  // AppendEvents inside the caller's transaction. mu_ held.
  absl::StatusOr<uint64_t> AppendEventsLocked(const AgentIdentity& agent,
                                              absl::Span<const Event> events, absl::Time now) {
    RETURN_IF_ERROR(ValidateAgentId(agent.agent_id));
    for (const Event& e : events) {
      if (e.sequence() == 0 ||
          e.sequence() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(
            absl::StrCat("event sequence ", e.sequence(), " out of range (must be 1..2^63-1)"));
      }
    }
    RETURN_IF_ERROR(UpsertAgentLocked(agent, now));

    ASSIGN_OR_RETURN(Statement * prepared,
                     CachedLocked(kInsertEvent,
                                  "INSERT INTO events (agent_id, sequence, kind, time_us, "
                                  "received_us, src_ip, dst_ip, dst_port, payload) "
                                  "VALUES (?,?,?,?,?,?,?,?,?) "
                                  "ON CONFLICT (agent_id, sequence) DO NOTHING"));
    CachedStatement insert(prepared);
    const int64_t received_us = absl::ToUnixMicros(now);
    // Every bound string outlives its step (SQLITE_STATIC: no copy per row);
    // the payload buffer is reused across rows.
    std::string& payload = payload_buffer_;
    static constexpr absl::string_view kNoAddress = "";
    for (const Event& e : events) {
      EventColumns cols = ColumnsOf(e);
      if (!e.SerializeToString(&payload)) {
        return absl::InvalidArgumentError(
            absl::StrCat("event ", e.sequence(), " cannot be serialized"));
      }
      insert->Reset();
      insert->BindStatic(1, agent.agent_id);
      insert->Bind(2, static_cast<int64_t>(e.sequence()));
      insert->BindStatic(3, cols.kind);
      insert->Bind(4, e.has_time() ? TimestampMicros(e.time()) : received_us);
      insert->Bind(5, received_us);
      insert->BindStatic(6, cols.client ? absl::string_view(cols.client->ip()) : kNoAddress);
      insert->BindStatic(7, cols.server ? absl::string_view(cols.server->ip()) : kNoAddress);
      insert->Bind(8, static_cast<int64_t>(cols.server ? cols.server->port() : 0));
      insert->BindBlobStatic(9, payload);
      RETURN_IF_ERROR(insert->Run());
    }

    ASSIGN_OR_RETURN(uint64_t acked, AckedLocked(agent.agent_id));
    return AdvanceLocked(agent.agent_id, acked);
  }

  absl::StatusOr<uint64_t> RecordLostBefore(const AgentIdentity& agent, uint64_t oldest_sequence,
                                            absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(ValidateAgentId(agent.agent_id));
    if (oldest_sequence > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError("oldest sequence out of range");
    }
    Transaction tx(db_);
    RETURN_IF_ERROR(tx.Begin());
    ASSIGN_OR_RETURN(uint64_t acked, AckedLocked(agent.agent_id));
    if (oldest_sequence <= acked + 1) return acked;  // nothing can be missing
    const uint64_t first = acked + 1, last = oldest_sequence - 1;
    ASSIGN_OR_RETURN(const uint64_t stored, CountStoredLocked(agent.agent_id, first, last));
    const uint64_t missing = last - first + 1 - stored;
    if (missing > 0) {
      // Events the agent no longer holds because it restarted without them.
      RETURN_IF_ERROR(InsertGapLocked(agent.agent_id, first, last, missing, "agent_restart", now));
    }
    ASSIGN_OR_RETURN(acked, AdvanceLocked(agent.agent_id, last));
    RETURN_IF_ERROR(tx.Commit());
    return acked;
  }

  absl::StatusOr<uint64_t> RecordLostRange(const AgentIdentity& agent, uint64_t first,
                                           uint64_t last, uint64_t /*count*/,
                                           absl::string_view reason,
                                           absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(ValidateAgentId(agent.agent_id));
    if (first == 0 || first > last ||
        last > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("lost range ", first, "-", last, " out of range (1..2^63-1, first <= last)"));
    }
    Transaction tx(db_);
    RETURN_IF_ERROR(tx.Begin());
    ASSIGN_OR_RETURN(uint64_t acked, AckedLocked(agent.agent_id));
    // Only what lies above the acknowledgement can still be missing; a range
    // reported again (the agent resends until acknowledged) is a no-op.
    const uint64_t lo = std::max(first, acked + 1);
    if (lo > last) return acked;
    {
      Statement seen(db_,
                     "SELECT COUNT(*) FROM gaps WHERE agent_id = ? AND first_sequence <= ? AND "
                     "last_sequence >= ?");
      RETURN_IF_ERROR(seen.status());
      seen.Bind(1, agent.agent_id);
      seen.Bind(2, static_cast<int64_t>(lo));
      seen.Bind(3, static_cast<int64_t>(last));
      const bool recorded = seen.Step() && seen.Int(0) > 0;
      RETURN_IF_ERROR(seen.status());
      if (recorded) return acked;  // recorded earlier, still waiting for what precedes it
    }
    ASSIGN_OR_RETURN(const uint64_t stored, CountStoredLocked(agent.agent_id, lo, last));
    const uint64_t missing = last - lo + 1 - stored;
    if (missing > 0) {
      RETURN_IF_ERROR(InsertGapLocked(agent.agent_id, lo, last, missing, reason, now));
    }
    ASSIGN_OR_RETURN(acked, AdvanceLocked(agent.agent_id, acked));
    RETURN_IF_ERROR(tx.Commit());
    return acked;
  }

  // How many of the agent's sequences in [first, last] are stored. mu_ held.
  absl::StatusOr<uint64_t> CountStoredLocked(absl::string_view agent_id, uint64_t first,
                                             uint64_t last) {
    Statement count(db_,
                    "SELECT COUNT(*) FROM events WHERE agent_id = ? AND sequence BETWEEN ? AND ?");
    RETURN_IF_ERROR(count.status());
    count.Bind(1, agent_id);
    count.Bind(2, static_cast<int64_t>(first));
    count.Bind(3, static_cast<int64_t>(last));
    uint64_t stored = 0;
    if (count.Step()) stored = static_cast<uint64_t>(count.Int(0));
    RETURN_IF_ERROR(count.status());
    return stored;
  }

  // Records [first, last] as lost, `missing` of them never stored. mu_ held.
  absl::Status InsertGapLocked(absl::string_view agent_id, uint64_t first, uint64_t last,
                               uint64_t missing, absl::string_view reason, absl::Time now) {
    Statement gap(db_,
                  "INSERT INTO gaps (agent_id, first_sequence, last_sequence, missing, "
                  "recorded_us, reason) VALUES (?,?,?,?,?,?)");
    RETURN_IF_ERROR(gap.status());
    gap.Bind(1, agent_id);
    gap.Bind(2, static_cast<int64_t>(first));
    gap.Bind(3, static_cast<int64_t>(last));
    gap.Bind(4, static_cast<int64_t>(missing));
    gap.Bind(5, absl::ToUnixMicros(now));
    gap.Bind(6, reason);
    return gap.Run();
  }

  absl::StatusOr<uint64_t> AckedSequence(absl::string_view agent_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    return AckedLocked(agent_id);
  }

  absl::Status RecordHeartbeat(absl::string_view agent_id, const Heartbeat& heartbeat,
                               absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(ValidateAgentId(agent_id));
    uint64_t received = 0, dropped = 0, if_dropped = 0;
    for (const auto& iface : heartbeat.interfaces()) {
      received += iface.received();
      dropped += iface.dropped();
      if_dropped += iface.interface_dropped();
    }
    std::string payload;
    heartbeat.SerializeToString(&payload);
    Statement insert(db_,
                     "INSERT INTO heartbeats (agent_id, time_us, received_us, pcap_received, "
                     "pcap_dropped, pcap_interface_dropped, packets, events, payload) "
                     "VALUES (?,?,?,?,?,?,?,?,?)");
    RETURN_IF_ERROR(insert.status());
    const int64_t received_us = absl::ToUnixMicros(now);
    insert.Bind(1, agent_id);
    insert.Bind(2, heartbeat.has_time() ? TimestampMicros(heartbeat.time()) : received_us);
    insert.Bind(3, received_us);
    insert.Bind(4, ClampToInt64(received));
    insert.Bind(5, ClampToInt64(dropped));
    insert.Bind(6, ClampToInt64(if_dropped));
    insert.Bind(7, ClampToInt64(heartbeat.packets()));
    insert.Bind(8, ClampToInt64(heartbeat.events()));
    insert.BindBlob(9, payload);
    RETURN_IF_ERROR(insert.Run());
    // A heartbeat is a sign of life too.
    Statement seen(db_, "UPDATE agents SET last_seen_us = MAX(last_seen_us, ?) WHERE agent_id = ?");
    RETURN_IF_ERROR(seen.status());
    seen.Bind(1, received_us);
    seen.Bind(2, agent_id);
    return seen.Run();
  }

  absl::StatusOr<std::vector<StoredEvent>> ListEvents(const EventFilter& filter) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    std::string sql =
        "SELECT agent_id, received_us, payload FROM events WHERE time_us >= ?";
    if (!filter.agent_id.empty()) sql += " AND agent_id = ?";
    sql += " ORDER BY time_us, agent_id, sequence";
    if (filter.limit > 0) sql += " LIMIT ?";
    Statement q(db_, sql);
    RETURN_IF_ERROR(q.status());
    int i = 1;
    q.Bind(i++, filter.since == absl::InfinitePast() ? std::numeric_limits<int64_t>::min()
                                                     : absl::ToUnixMicros(filter.since));
    if (!filter.agent_id.empty()) q.Bind(i++, filter.agent_id);
    if (filter.limit > 0) q.Bind(i++, ClampToInt64(filter.limit));
    std::vector<StoredEvent> out;
    while (q.Step()) {
      StoredEvent se;
      se.agent_id = q.Text(0);
      se.received_time = absl::FromUnixMicros(q.Int(1));
      if (!se.event.ParseFromString(q.Blob(2))) {
        return absl::DataLossError(absl::StrCat("stored event of agent ", se.agent_id,
                                                " does not parse; database ", path_,
                                                " is damaged"));
      }
      out.push_back(std::move(se));
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::StatusOr<std::vector<AgentSummary>> ListAgents() override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_,
                R"sql(SELECT a.agent_id, a.hostname, a.version, a.peer, a.first_seen_us,
                             a.last_seen_us,
                             (SELECT COUNT(*) FROM events e WHERE e.agent_id = a.agent_id),
                             COALESCE(p.acked_sequence, 0),
                             (SELECT COALESCE(SUM(g.missing), 0) FROM gaps g
                              WHERE g.agent_id = a.agent_id),
                             h.time_us, h.received_us, h.pcap_received, h.pcap_dropped,
                             h.pcap_interface_dropped, h.packets, h.events
                      FROM agents a
                      LEFT JOIN agent_progress p ON p.agent_id = a.agent_id
                      LEFT JOIN heartbeats h ON h.rowid = (
                          SELECT rowid FROM heartbeats WHERE agent_id = a.agent_id
                          ORDER BY time_us DESC, rowid DESC LIMIT 1)
                      ORDER BY a.agent_id)sql");
    RETURN_IF_ERROR(q.status());
    std::vector<AgentSummary> out;
    while (q.Step()) {
      AgentSummary s;
      s.identity = {q.Text(0), q.Text(1), q.Text(2), q.Text(3)};
      s.first_seen = absl::FromUnixMicros(q.Int(4));
      s.last_seen = absl::FromUnixMicros(q.Int(5));
      s.event_count = static_cast<uint64_t>(q.Int(6));
      s.acked_sequence = static_cast<uint64_t>(q.Int(7));
      s.lost_events = static_cast<uint64_t>(q.Int(8));
      if (!q.IsNull(9)) {
        HeartbeatSummary h;
        h.time = absl::FromUnixMicros(q.Int(9));
        h.received_time = absl::FromUnixMicros(q.Int(10));
        h.pcap_received = static_cast<uint64_t>(q.Int(11));
        h.pcap_dropped = static_cast<uint64_t>(q.Int(12));
        h.pcap_interface_dropped = static_cast<uint64_t>(q.Int(13));
        h.packets = static_cast<uint64_t>(q.Int(14));
        h.events = static_cast<uint64_t>(q.Int(15));
        s.last_heartbeat = h;
      }
      out.push_back(std::move(s));
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::Status ReplaceInventory(absl::Span<const InventoryHost> hosts, absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Transaction tx(db_);
    RETURN_IF_ERROR(tx.Begin());
    RETURN_IF_ERROR(Exec(db_, "DELETE FROM inventory"));
    Statement insert(db_,
                     "INSERT INTO inventory (hostname, mac, owner, imported_at) VALUES (?,?,?,?) "
                     "ON CONFLICT (hostname) DO NOTHING");
    RETURN_IF_ERROR(insert.status());
    const int64_t now_us = absl::ToUnixMicros(now);
    for (const InventoryHost& h : hosts) {
      if (h.hostname.empty()) {
        return absl::InvalidArgumentError("inventory host without a hostname");
      }
      insert.Reset();
      insert.Bind(1, h.hostname);
      insert.Bind(2, h.mac);
      insert.Bind(3, h.owner);
      insert.Bind(4, now_us);
      RETURN_IF_ERROR(insert.Run());
      if (sqlite3_changes(db_) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("hostname ", h.hostname, " appears twice in the inventory"));
      }
    }
    return tx.Commit();
  }

  absl::Status AddAgentCredential(const AgentCredential& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    if (c.agent_id.empty() || c.key_sha256.empty()) {
      return absl::InvalidArgumentError("credential without agent id or key hash");
    }
    Statement insert(db_,
                     "INSERT INTO agent_credentials (agent_id, key_sha256, enrolled_us, "
                     "enrolled_peer, revoked_us, request_sha256) VALUES (?,?,?,?,NULL,?) "
                     "ON CONFLICT DO NOTHING");
    RETURN_IF_ERROR(insert.status());
    insert.Bind(1, c.agent_id);
    insert.Bind(2, c.key_sha256);
    insert.Bind(3, absl::ToUnixMicros(c.enrolled_at));
    insert.Bind(4, c.enrolled_peer);
    insert.Bind(5, c.request_sha256);
    RETURN_IF_ERROR(insert.Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("agent id ", c.agent_id, " is already enrolled"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<AgentCredential> FindCredentialByKeyHash(absl::string_view key_sha256) override {
    return QueryCredential("key_sha256", key_sha256);
  }

  absl::StatusOr<AgentCredential> GetAgentCredential(absl::string_view agent_id) override {
    return QueryCredential("agent_id", agent_id);
  }

  absl::Status ReplaceAgentKey(absl::string_view agent_id, absl::string_view request_sha256,
                              absl::string_view key_sha256) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    if (request_sha256.empty()) return absl::InvalidArgumentError("no request hash");
    Statement update(db_,
                     "UPDATE agent_credentials SET key_sha256 = ? WHERE agent_id = ? AND "
                     "request_sha256 = ? AND revoked_us IS NULL");
    RETURN_IF_ERROR(update.status());
    update.Bind(1, key_sha256);
    update.Bind(2, agent_id);
    update.Bind(3, request_sha256);
    RETURN_IF_ERROR(update.Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("agent ", agent_id, " has no unrevoked enrollment with that request"));
    }
    return absl::OkStatus();
  }

  absl::Status RevokeAgent(absl::string_view agent_id, absl::Time now) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement update(db_,
                     "UPDATE agent_credentials SET revoked_us = COALESCE(revoked_us, ?) "
                     "WHERE agent_id = ?");
    RETURN_IF_ERROR(update.status());
    update.Bind(1, absl::ToUnixMicros(now));
    update.Bind(2, agent_id);
    RETURN_IF_ERROR(update.Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::NotFoundError(absl::StrCat("agent ", agent_id, " never enrolled"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<AgentCredential>> ListAgentCredentials() override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_,
                "SELECT agent_id, key_sha256, enrolled_us, enrolled_peer, revoked_us, "
                "request_sha256 FROM agent_credentials ORDER BY agent_id");
    RETURN_IF_ERROR(q.status());
    std::vector<AgentCredential> out;
    while (q.Step()) out.push_back(CredentialFromRow(q));
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::StatusOr<std::vector<InventoryHost>> ListInventory() override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_, "SELECT hostname, mac, owner, imported_at FROM inventory ORDER BY hostname");
    RETURN_IF_ERROR(q.status());
    std::vector<InventoryHost> out;
    while (q.Step()) {
      out.push_back({q.Text(0), q.Text(1), q.Text(2), absl::FromUnixMicros(q.Int(3))});
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::StatusOr<std::vector<StoredHeartbeat>> ListHeartbeats(absl::string_view agent_id,
                                                              absl::Time from,
                                                              absl::Time to) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_,
                "SELECT time_us, received_us, payload FROM heartbeats "
                "WHERE agent_id = ? AND time_us BETWEEN ? AND ? ORDER BY time_us, rowid");
    RETURN_IF_ERROR(q.status());
    q.Bind(1, agent_id);
    q.Bind(2, MicrosOrLimit(from));
    q.Bind(3, MicrosOrLimit(to));
    std::vector<StoredHeartbeat> out;
    while (q.Step()) {
      StoredHeartbeat h;
      h.agent_id = std::string(agent_id);
      h.received_time = absl::FromUnixMicros(q.Int(1));
      if (!h.heartbeat.ParseFromString(q.Blob(2))) {
        return absl::DataLossError(absl::StrCat("stored heartbeat of agent ", agent_id,
                                                " does not parse; database ", path_,
                                                " is damaged"));
      }
      // The column holds the time used for ordering (stamped when missing).
      const int64_t time_us = q.Int(0);
      h.heartbeat.mutable_time()->set_seconds(FloorDiv(time_us, 1000000));
      h.heartbeat.mutable_time()->set_nanos(
          static_cast<int32_t>((time_us - FloorDiv(time_us, 1000000) * 1000000) * 1000));
      out.push_back(std::move(h));
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::StatusOr<LostEventGaps> CountLostEventGaps(absl::string_view agent_id, absl::Time from,
                                                   absl::Time to) override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_,
                "SELECT COUNT(*), COALESCE(SUM(missing), 0) FROM gaps "
                "WHERE agent_id = ? AND recorded_us BETWEEN ? AND ?");
    RETURN_IF_ERROR(q.status());
    q.Bind(1, agent_id);
    q.Bind(2, MicrosOrLimit(from));
    q.Bind(3, MicrosOrLimit(to));
    LostEventGaps gaps;
    if (q.Step()) {
      gaps.gaps = static_cast<uint64_t>(q.Int(0));
      gaps.missing = static_cast<uint64_t>(q.Int(1));
    }
    RETURN_IF_ERROR(q.status());
    return gaps;
  }

  absl::Status RecordHostFacts(absl::string_view agent_id, const cleansweep::v1::HostFacts& facts,
                               absl::Time now) override {
    ASSIGN_OR_RETURN(cleansweep::v1::HostFacts normal, NormalizeHostFacts(facts));
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    RETURN_IF_ERROR(ValidateAgentId(agent_id));
    const int64_t now_us = absl::ToUnixMicros(now);
    if (!normal.has_time()) SetTimestampMicros(now_us, normal.mutable_time());
    const int64_t observed_us = TimestampMicros(normal.time());
    std::string payload;
    if (!normal.SerializeToString(&payload)) {
      return absl::InvalidArgumentError("host facts cannot be serialized");
    }
    Transaction tx(db_);
    RETURN_IF_ERROR(tx.Begin());
    {
      Statement facts_row(db_,
                          "INSERT INTO host_facts (agent_id, hostname, os, kernel, observed_us, "
                          "received_us, payload) VALUES (?,?,?,?,?,?,?) ON CONFLICT (agent_id) "
                          "DO UPDATE SET hostname = excluded.hostname, os = excluded.os, "
                          "kernel = excluded.kernel, observed_us = excluded.observed_us, "
                          "received_us = excluded.received_us, payload = excluded.payload");
      RETURN_IF_ERROR(facts_row.status());
      facts_row.Bind(1, agent_id);
      facts_row.Bind(2, normal.hostname());
      facts_row.Bind(3, normal.os());
      facts_row.Bind(4, normal.kernel());
      facts_row.Bind(5, observed_us);
      facts_row.Bind(6, now_us);
      facts_row.BindBlob(7, payload);
      RETURN_IF_ERROR(facts_row.Run());
    }
    using Key = std::tuple<std::string, std::string, std::string>;  // interface, mac, address
    std::set<Key> reported;
    for (const auto& iface : normal.interfaces()) {
      for (const std::string& a : iface.addresses()) {
        reported.insert({iface.name(), iface.mac(), a});
      }
    }
    std::vector<std::pair<int64_t, Key>> open;
    {
      Statement q(db_,
                  "SELECT rowid, interface, mac, address FROM address_history "
                  "WHERE agent_id = ? AND valid_to_us IS NULL");
      RETURN_IF_ERROR(q.status());
      q.Bind(1, agent_id);
      while (q.Step()) open.push_back({q.Int(0), {q.Text(1), q.Text(2), q.Text(3)}});
      RETURN_IF_ERROR(q.status());
    }
    // A collector clock that stepped back must not end a period before it began.
    Statement keep(db_,
                   "UPDATE address_history SET last_seen_us = MAX(last_seen_us, ?), "
                   "last_observed_us = ? WHERE rowid = ?");
    RETURN_IF_ERROR(keep.status());
    Statement end(db_,
                  "UPDATE address_history SET valid_to_us = MAX(last_seen_us, ?), "
                  "closed_observed_us = ? WHERE rowid = ?");
    RETURN_IF_ERROR(end.status());
    for (const auto& [rowid, key] : open) {
      Statement& update = reported.erase(key) > 0 ? keep : end;
      update.Reset();
      update.Bind(1, now_us);
      update.Bind(2, observed_us);
      update.Bind(3, rowid);
      RETURN_IF_ERROR(update.Run());
    }
    Statement insert(db_,
                     "INSERT INTO address_history (agent_id, interface, mac, address, "
                     "first_seen_us, last_seen_us, valid_to_us, first_observed_us, "
                     "last_observed_us, closed_observed_us) VALUES (?,?,?,?,?,?,NULL,?,?,NULL)");
    RETURN_IF_ERROR(insert.status());
    for (const auto& [iface, mac, address] : reported) {
      insert.Reset();
      insert.Bind(1, agent_id);
      insert.Bind(2, iface);
      insert.Bind(3, mac);
      insert.Bind(4, address);
      insert.Bind(5, now_us);
      insert.Bind(6, now_us);
      insert.Bind(7, observed_us);
      insert.Bind(8, observed_us);
      RETURN_IF_ERROR(insert.Run());
    }
    return tx.Commit();
  }

  absl::StatusOr<std::vector<StoredHostFacts>> ListHostFacts() override {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_, "SELECT agent_id, received_us, payload FROM host_facts ORDER BY agent_id");
    RETURN_IF_ERROR(q.status());
    std::vector<StoredHostFacts> out;
    while (q.Step()) {
      StoredHostFacts f;
      f.agent_id = q.Text(0);
      f.received_time = absl::FromUnixMicros(q.Int(1));
      if (!f.facts.ParseFromString(q.Blob(2))) {
        return absl::DataLossError(absl::StrCat("stored host facts of agent ", f.agent_id,
                                                " do not parse; database ", path_,
                                                " is damaged"));
      }
      out.push_back(std::move(f));
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::StatusOr<std::vector<AddressRecord>> ListAddressHistory(
      const AddressHistoryFilter& filter) override {
    std::string ip;
    if (!filter.ip.empty()) {
      absl::StatusOr<std::string> canonical = CanonicalIpAddress(filter.ip);
      if (!canonical.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("address filter: ", canonical.status().message()));
      }
      ip = *canonical;
    }
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    // The hostname the host itself reports wins over the Hello's.
    std::string sql = R"sql(
        SELECT h.agent_id, COALESCE(NULLIF(f.hostname, ''), a.hostname, ''), h.interface,
               h.mac, h.address, h.first_seen_us, h.last_seen_us, h.valid_to_us,
               h.first_observed_us, h.last_observed_us, h.closed_observed_us
        FROM address_history h
        LEFT JOIN agents a ON a.agent_id = h.agent_id
        LEFT JOIN host_facts f ON f.agent_id = h.agent_id
        WHERE 1)sql";
    if (!ip.empty()) sql += " AND h.address = ?";
    if (!filter.host.empty()) {
      sql += " AND (h.agent_id = ? OR a.hostname = ? COLLATE NOCASE OR "
             "f.hostname = ? COLLATE NOCASE)";
    }
    if (filter.at) {
      sql += " AND h.first_seen_us <= ? AND (h.valid_to_us IS NULL OR h.valid_to_us > ?)";
    }
    sql += " ORDER BY h.first_seen_us, h.agent_id, h.interface, h.address, h.rowid";
    Statement q(db_, sql);
    RETURN_IF_ERROR(q.status());
    int i = 1;
    if (!ip.empty()) q.Bind(i++, ip);
    if (!filter.host.empty()) {
      for (int k = 0; k < 3; ++k) q.Bind(i++, filter.host);
    }
    if (filter.at) {
      q.Bind(i++, MicrosOrLimit(*filter.at));
      q.Bind(i++, MicrosOrLimit(*filter.at));
    }
    std::vector<AddressRecord> out;
    while (q.Step()) {
      AddressRecord r;
      r.agent_id = q.Text(0);
      r.hostname = q.Text(1);
      r.interface = q.Text(2);
      r.mac = q.Text(3);
      r.address = q.Text(4);
      r.first_seen = absl::FromUnixMicros(q.Int(5));
      r.last_seen = absl::FromUnixMicros(q.Int(6));
      if (!q.IsNull(7)) r.valid_to = absl::FromUnixMicros(q.Int(7));
      r.first_observed = absl::FromUnixMicros(q.Int(8));
      r.last_observed = absl::FromUnixMicros(q.Int(9));
      if (!q.IsNull(10)) r.closed_observed = absl::FromUnixMicros(q.Int(10));
      out.push_back(std::move(r));
    }
    RETURN_IF_ERROR(q.status());
    return out;
  }

  absl::Status Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (db_ == nullptr) return absl::OkStatus();
    for (auto& s : cached_) s.reset();  // finalized, or close would fail with BUSY
    int rc = sqlite3_close(db_);
    if (rc != SQLITE_OK) {
      return absl::InternalError(
          absl::StrCat("closing ", path_, ": ", sqlite3_errstr(rc)));
    }
    db_ = nullptr;
    return absl::OkStatus();
  }

 private:
  static AgentCredential CredentialFromRow(Statement& q) {
    AgentCredential c;
    c.agent_id = q.Text(0);
    c.key_sha256 = q.Text(1);
    c.enrolled_at = absl::FromUnixMicros(q.Int(2));
    c.enrolled_peer = q.Text(3);
    if (!q.IsNull(4)) c.revoked_at = absl::FromUnixMicros(q.Int(4));
    c.request_sha256 = q.Text(5);
    return c;
  }

  // `column` is a fixed column name chosen by the caller, never input.
  absl::StatusOr<AgentCredential> QueryCredential(absl::string_view column,
                                                  absl::string_view value) {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckOpen());
    Statement q(db_, absl::StrCat("SELECT agent_id, key_sha256, enrolled_us, enrolled_peer, "
                                  "revoked_us, request_sha256 FROM agent_credentials WHERE ",
                                  column, " = ?"));
    RETURN_IF_ERROR(q.status());
    q.Bind(1, value);
    if (!q.Step()) {
      RETURN_IF_ERROR(q.status());
      return absl::NotFoundError("no such credential");
    }
    return CredentialFromRow(q);
  }

  absl::Status CheckOpen() const {
    if (db_ == nullptr) return absl::FailedPreconditionError("event store is closed");
    return absl::OkStatus();
  }

  static absl::Status ValidateAgentId(absl::string_view agent_id) {
    if (agent_id.empty()) return absl::InvalidArgumentError("empty agent id");
    return absl::OkStatus();
  }

  absl::Status UpsertAgentLocked(const AgentIdentity& agent, absl::Time now) {
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

  // Walks forward from `acked` while sequences are contiguous and stores the
  // result as the agent's progress. Rows come in order, so this stops at the
  // first gap without scanning past it.
  absl::StatusOr<uint64_t> AdvanceLocked(absl::string_view agent_id, uint64_t acked) {
    while (true) {
      {
        ASSIGN_OR_RETURN(Statement * prepared,
                         CachedLocked(kNextSequences,
                                      "SELECT sequence FROM events WHERE agent_id = ? AND "
                                      "sequence > ? ORDER BY sequence"));
        CachedStatement cached(prepared);
        Statement& next = *cached;
        next.Bind(1, agent_id);
        next.Bind(2, static_cast<int64_t>(acked));
        while (next.Step()) {
          if (static_cast<uint64_t>(next.Int(0)) != acked + 1) break;
          ++acked;
        }
        RETURN_IF_ERROR(next.status());
      }  // reset: an unfinished SELECT would block COMMIT
      // Sequences recorded as lost (RecordLostRange) are accounted for: step
      // over a gap that starts at the next sequence, then keep counting events.
      uint64_t gap_last = 0;
      {
        ASSIGN_OR_RETURN(Statement * prepared,
                         CachedLocked(kGapAfter,
                                      "SELECT MAX(last_sequence) FROM gaps WHERE agent_id = ? "
                                      "AND first_sequence <= ? AND last_sequence > ?"));
        CachedStatement cached(prepared);
        Statement& gap = *cached;
        gap.Bind(1, agent_id);
        gap.Bind(2, static_cast<int64_t>(acked + 1));
        gap.Bind(3, static_cast<int64_t>(acked));
        if (gap.Step()) gap_last = static_cast<uint64_t>(gap.Int(0));
        RETURN_IF_ERROR(gap.status());
      }
      if (gap_last <= acked) break;
      acked = gap_last;
    }
    ASSIGN_OR_RETURN(Statement * prepared,
                     CachedLocked(kSetProgress,
                                  "INSERT INTO agent_progress (agent_id, acked_sequence) "
                                  "VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET "
                                  "acked_sequence = excluded.acked_sequence"));
    CachedStatement cached(prepared);
    Statement& progress = *cached;
    progress.Bind(1, agent_id);
    progress.Bind(2, static_cast<int64_t>(acked));
    RETURN_IF_ERROR(progress.Run());
    return acked;
  }

  absl::StatusOr<uint64_t> AckedLocked(absl::string_view agent_id) {
    ASSIGN_OR_RETURN(Statement * prepared,
                     CachedLocked(kAcked,
                                  "SELECT acked_sequence FROM agent_progress WHERE agent_id = ?"));
    CachedStatement cached(prepared);
    Statement& q = *cached;
    q.Bind(1, agent_id);
    uint64_t acked = 0;
    if (q.Step()) acked = static_cast<uint64_t>(q.Int(0));
    RETURN_IF_ERROR(q.status());
    return acked;
  }

  // The statements of the event path, prepared on first use. mu_ held.
  enum CachedSql {
    kInsertEvent,
    kUpsertAgent,
    kNextSequences,
    kGapAfter,
    kSetProgress,
    kAcked,
    kCachedSqlCount
  };
  absl::StatusOr<Statement*> CachedLocked(CachedSql which, absl::string_view sql) {
    std::unique_ptr<Statement>& slot = cached_[which];
    if (slot == nullptr) {
      auto prepared = std::make_unique<Statement>(db_, sql);
      RETURN_IF_ERROR(prepared->status());
      slot = std::move(prepared);
    }
    return slot.get();
  }

  std::mutex mu_;
  sqlite3* db_;
  const std::string path_;
  std::array<std::unique_ptr<Statement>, kCachedSqlCount> cached_;  // guarded by mu_
  std::string payload_buffer_;                                      // guarded by mu_
};

absl::StatusOr<int> ReadUserVersion(sqlite3* db) {
  Statement q(db, "PRAGMA user_version");
  RETURN_IF_ERROR(q.status());
  int version = 0;
  if (q.Step()) version = static_cast<int>(q.Int(0));
  RETURN_IF_ERROR(q.status());
  return version;
}

absl::Status Migrate(sqlite3* db, int from, int to) {
  const auto& steps = Migrations();
  for (int v = from; v < to && v < static_cast<int>(steps.size()); ++v) {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    for (const char* sql : steps[v]) RETURN_IF_ERROR(Exec(db, sql));
    // user_version is part of the transaction: a failed step leaves it unchanged.
    RETURN_IF_ERROR(Exec(db, absl::StrCat("PRAGMA user_version = ", v + 1).c_str()));
    RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

absl::Status OpenError(const std::string& path, absl::string_view what, sqlite3* db, int rc) {
  return absl::UnavailableError(absl::StrCat("cannot open database ", path, ": ", what, ": ",
                                             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

int SqliteSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::StatusOr<EventStorePtr> OpenSqliteEventStore(const std::string& path,
                                                   const SqliteOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("empty database path");
  const bool may_create = options.create && !options.read_only;
  struct stat st;
  if (!may_create && ::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot open database ", path, ": ",
                                            std::strerror(errno)));
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
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read database ", path, ": ", version.status().message(),
        " (is it a cleansweep collector database?)"));
  }
  const int known = SqliteSchemaVersion();
  if (*version > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", path, " has schema version ", *version,
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
    RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous = FULL"));
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
  return EventStorePtr(new SqliteEventStore(guard.release(), path));
}

}  // namespace cleansweep::collector
