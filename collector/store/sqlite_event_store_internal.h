// Internal to the SQLite event store (collector/store only): the
// SqliteEventStore class behind OpenSqliteEventStore(), whose methods are
// defined by topic in sqlite_event_store*.cc, and the column conversions those
// files share. Contract, durability and thread-safety: sqlite_event_store.h
// (one connection, every use under mu_).
#ifndef CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_INTERNAL_H_
#define CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_INTERNAL_H_

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/store/event_store.h"
#include "collector/store/wal_checkpointer.h"
#include "common/sqlite/sqlite_util.h"

namespace cleansweep::collector::sqlite_internal {

using cleansweep::v1::Event;
using cleansweep::v1::Heartbeat;
using sqlite::Exec;
using sqlite::Statement;
using sqlite::Transaction;

inline int64_t TimestampMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// SQLite stores signed 64-bit integers; counters above that are clamped
// rather than wrapped into negative numbers.
inline int64_t ClampToInt64(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(v);
}

// Unix microseconds; the infinite past / future map to the int64 limits.
inline int64_t MicrosOrLimit(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

// Division rounding toward negative infinity (times before 1970 stay valid).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

inline void SetTimestampMicros(int64_t us, google::protobuf::Timestamp* ts) {
  const int64_t seconds = FloorDiv(us, 1000000);
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>((us - seconds * 1000000) * 1000));
}

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

class SqliteEventStore final : public EventStore {
 public:
  SqliteEventStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteEventStore() override { Close().IgnoreError(); }

  // Takes over the connection's WAL checkpoints (null: SQLite's own).
  void SetCheckpointer(std::unique_ptr<WalCheckpointer> checkpointer) {
    checkpointer_ = std::move(checkpointer);
  }

  absl::Status UpsertAgent(const AgentIdentity& agent, absl::Time now) override;

  absl::StatusOr<uint64_t> AppendEvents(const AgentIdentity& agent, EventRange events,
                                        absl::Time now) override;

  // One transaction (one fsync) for the whole group; each batch inside a
  // savepoint, so a refused batch leaves the others intact.
  std::vector<absl::StatusOr<uint64_t>> AppendEventGroups(absl::Span<const EventAppend> batches,
                                                          absl::Time now) override;

  // AppendEvents inside the caller's transaction. mu_ held.
  // `payloads`: empty, or events[i] serialized.
  absl::StatusOr<uint64_t> AppendEventsLocked(const AgentIdentity& agent, EventRange events,
                                              absl::Span<const absl::string_view> payloads,
                                              absl::Time now);

  absl::StatusOr<uint64_t> RecordLostBefore(const AgentIdentity& agent, uint64_t oldest_sequence,
                                            absl::Time now) override;

  absl::StatusOr<uint64_t> RecordLostRange(const AgentIdentity& agent, uint64_t first,
                                           uint64_t last, uint64_t /*count*/,
                                           absl::string_view reason, absl::Time now) override;

  // How many of the agent's sequences in [first, last] are stored. mu_ held.
  absl::StatusOr<uint64_t> CountStoredLocked(absl::string_view agent_id, uint64_t first,
                                             uint64_t last);

  // Records [first, last] as lost, `missing` of them never stored. mu_ held.
  absl::Status InsertGapLocked(absl::string_view agent_id, uint64_t first, uint64_t last,
                               uint64_t missing, absl::string_view reason, absl::Time now);

  absl::StatusOr<uint64_t> AckedSequence(absl::string_view agent_id) override;

  absl::Status RecordHeartbeat(absl::string_view agent_id, const Heartbeat& heartbeat,
                               absl::Time now) override;

  absl::StatusOr<std::vector<StoredEvent>> ListEvents(const EventFilter& filter) override;

  absl::Status ScanEvents(absl::Time from, absl::Time to, const EventVisitor& visit) override;

  absl::StatusOr<StoredEvent> GetEvent(absl::string_view agent_id, uint64_t sequence) override;

  absl::Status ReplaceHostFindings(absl::string_view host,
                                   absl::Span<const cleansweep::v1::Finding> findings,
                                   absl::Time now) override;
  absl::Status ReplaceSweepFindings(absl::string_view host, absl::string_view agent_id,
                                    absl::Span<const cleansweep::v1::Finding> findings,
                                    absl::Time now) override;

  absl::StatusOr<std::vector<cleansweep::v1::Finding>> ListFindings(absl::Time from,
                                                                     absl::Time to) override;

  absl::StatusOr<std::vector<AgentSummary>> ListAgents() override;

  absl::Status ReplaceInventory(absl::Span<const InventoryHost> hosts, absl::Time now) override;

  absl::Status AddAgentCredential(const AgentCredential& c) override;

  absl::StatusOr<AgentCredential> FindCredentialByKeyHash(absl::string_view key_sha256) override;

  absl::StatusOr<AgentCredential> GetAgentCredential(absl::string_view agent_id) override;

  absl::Status ReplaceAgentKey(absl::string_view agent_id, absl::string_view request_sha256,
                               absl::string_view key_sha256) override;

  absl::Status RevokeAgent(absl::string_view agent_id, absl::Time now) override;

  absl::StatusOr<std::vector<AgentCredential>> ListAgentCredentials() override;

  absl::StatusOr<std::vector<InventoryHost>> ListInventory() override;

  absl::StatusOr<std::vector<StoredHeartbeat>> ListHeartbeats(absl::string_view agent_id,
                                                              absl::Time from,
                                                              absl::Time to) override;

  absl::StatusOr<std::vector<StoredCoverageSegment>> ListCoverage(absl::string_view agent_id,
                                                                  absl::Time from,
                                                                  absl::Time to) override;

  absl::StatusOr<std::optional<StoredHeartbeat>> LatestHeartbeat(absl::string_view agent_id,
                                                                 absl::Time at) override;

  absl::Status AppendCoverage(absl::string_view agent_id,
                              absl::Span<const CoverageSegment> segments) override;

  absl::StatusOr<LostEventGaps> CountLostEventGaps(absl::string_view agent_id, absl::Time from,
                                                   absl::Time to) override;

  absl::Status RecordHostFacts(absl::string_view agent_id, const cleansweep::v1::HostFacts& facts,
                               absl::Time now) override;

  absl::StatusOr<std::vector<StoredHostFacts>> ListHostFacts() override;

  absl::StatusOr<std::vector<AddressRecord>> ListAddressHistory(
      const AddressHistoryFilter& filter) override;

  absl::Status CreateSweep(const cleansweep::v1::SweepRequest& request,
                           absl::Span<const std::string> agent_ids) override;

  absl::StatusOr<std::vector<cleansweep::v1::SweepRequest>> PendingSweeps(
      absl::string_view agent_id, absl::Time now) override;

  absl::Status MarkSweepDelivered(absl::string_view sweep_id,
                                  absl::Span<const std::string> agent_ids,
                                  absl::Time now) override;

  absl::Status RecordSweepAnswer(absl::string_view sweep_id, absl::string_view agent_id,
                                 const cleansweep::v1::SweepAgentStatus& answer,
                                 absl::Time now) override;

  absl::StatusOr<std::vector<cleansweep::v1::SweepStatus>> ListSweeps(const SweepQuery& query,
                                                                      absl::Time now) override;
  absl::StatusOr<std::vector<StoredSweepAnswer>> ListSweepAnswers(
      const SweepAnswerQuery& query) override;

  absl::Status Close() override;

 private:
  static AgentCredential CredentialFromRow(Statement& q);

  // `column` is a fixed column name chosen by the caller, never input.
  absl::StatusOr<AgentCredential> QueryCredential(absl::string_view column,
                                                  absl::string_view value);

  absl::Status CheckOpen() const;

  static absl::Status ValidateAgentId(absl::string_view agent_id);

  absl::Status UpsertAgentLocked(const AgentIdentity& agent, absl::Time now);

  // Walks forward from `acked` while sequences are contiguous and stores the
  // result as the agent's progress. Rows come in order, so this stops at the
  // first gap without scanning past it.
  absl::StatusOr<uint64_t> AdvanceLocked(absl::string_view agent_id, uint64_t acked);

  absl::StatusOr<uint64_t> AckedLocked(absl::string_view agent_id);

  // The statements of the event path, prepared on first use. mu_ held.
  enum CachedSql {
    kInsertEvent,
    kUpsertAgent,
    kNextSequences,
    kGapAfter,
    kSetProgress,
    kAcked,
    kCountEvents,
    kLatestHeartbeat,
    kCountGaps,
    kCachedSqlCount
  };
  absl::StatusOr<Statement*> CachedLocked(CachedSql which, absl::string_view sql);

  std::mutex mu_;
  sqlite3* db_;
  const std::string path_;
  std::array<std::unique_ptr<Statement>, kCachedSqlCount> cached_;  // guarded by mu_
  std::string payload_buffer_;                                      // guarded by mu_
  std::unique_ptr<WalCheckpointer> checkpointer_;                   // guarded by mu_
};

}  // namespace cleansweep::collector::sqlite_internal

#endif  // CLEANSWEEP_COLLECTOR_STORE_SQLITE_EVENT_STORE_INTERNAL_H_
