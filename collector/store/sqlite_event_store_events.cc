// SqliteEventStore: storing events, the per-agent acknowledgement and lost sequences.
#include "collector/store/sqlite_event_store_internal.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {
namespace {

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

}  // namespace

absl::StatusOr<uint64_t> SqliteEventStore::AppendEvents(const AgentIdentity& agent,
                                                        EventRange events,
                                                        absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(uint64_t acked, AppendEventsLocked(agent, events, {}, now));
  RETURN_IF_ERROR(tx.Commit());
  return acked;
}

std::vector<absl::StatusOr<uint64_t>> SqliteEventStore::AppendEventGroups(
    absl::Span<const EventAppend> batches, absl::Time now) {
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
    absl::StatusOr<uint64_t> acked =
        b.payloads.size() == b.events.size() || b.payloads.empty()
            ? AppendEventsLocked(*b.agent, b.events, b.payloads, now)
            : absl::InvalidArgumentError("payloads do not match the batch's events");
    absl::Status end = Exec(db_, acked.ok() ? "RELEASE batch" : "ROLLBACK TO batch; RELEASE batch");
    if (!end.ok()) return fail_all(end);
    results.push_back(std::move(acked));
  }
  if (absl::Status s = tx.Commit(); !s.ok()) return fail_all(s);
  return results;
}

absl::StatusOr<uint64_t> SqliteEventStore::AppendEventsLocked(
    const AgentIdentity& agent, EventRange events, absl::Span<const absl::string_view> payloads,
    absl::Time now) {
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
  std::string& buffer = payload_buffer_;
  static constexpr absl::string_view kNoAddress = "";
  int64_t inserted = 0;  // resent events are not stored again
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    EventColumns cols = ColumnsOf(e);
    absl::string_view payload;
    if (!payloads.empty()) {
      payload = payloads[i];
    } else if (e.SerializeToString(&buffer)) {
      payload = buffer;
    } else {
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
    inserted += sqlite3_changes(db_);
  }
  if (inserted > 0) {
    // Kept per agent so that listing agents never counts the events table.
    ASSIGN_OR_RETURN(Statement * count_sql,
                     CachedLocked(kCountEvents,
                                  "UPDATE agents SET event_count = event_count + ? "
                                  "WHERE agent_id = ?"));
    CachedStatement count(count_sql);
    count->Bind(1, inserted);
    count->BindStatic(2, agent.agent_id);
    RETURN_IF_ERROR(count->Run());
  }

  ASSIGN_OR_RETURN(uint64_t acked, AckedLocked(agent.agent_id));
  return AdvanceLocked(agent.agent_id, acked);
}

absl::StatusOr<uint64_t> SqliteEventStore::RecordLostBefore(const AgentIdentity& agent,
                                                            uint64_t oldest_sequence,
                                                            absl::Time now) {
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

absl::StatusOr<uint64_t> SqliteEventStore::RecordLostRange(const AgentIdentity& agent,
                                                           uint64_t first, uint64_t last,
                                                           uint64_t /*count*/,
                                                           absl::string_view reason,
                                                           absl::Time now) {
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

absl::StatusOr<uint64_t> SqliteEventStore::CountStoredLocked(absl::string_view agent_id,
                                                             uint64_t first, uint64_t last) {
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

absl::Status SqliteEventStore::InsertGapLocked(absl::string_view agent_id, uint64_t first,
                                               uint64_t last, uint64_t missing,
                                               absl::string_view reason, absl::Time now) {
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

absl::StatusOr<uint64_t> SqliteEventStore::AckedSequence(absl::string_view agent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  return AckedLocked(agent_id);
}

absl::StatusOr<std::vector<StoredEvent>> SqliteEventStore::ListEvents(const EventFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  std::string sql = "SELECT agent_id, received_us, payload FROM events WHERE time_us >= ?";
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
                                              " does not parse; database ", path_, " is damaged"));
    }
    out.push_back(std::move(se));
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<uint64_t> SqliteEventStore::AdvanceLocked(absl::string_view agent_id,
                                                         uint64_t acked) {
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

absl::StatusOr<uint64_t> SqliteEventStore::AckedLocked(absl::string_view agent_id) {
  ASSIGN_OR_RETURN(
      Statement * prepared,
      CachedLocked(kAcked, "SELECT acked_sequence FROM agent_progress WHERE agent_id = ?"));
  CachedStatement cached(prepared);
  Statement& q = *cached;
  q.Bind(1, agent_id);
  uint64_t acked = 0;
  if (q.Step()) acked = static_cast<uint64_t>(q.Int(0));
  RETURN_IF_ERROR(q.status());
  return acked;
}

}  // namespace cleansweep::collector::sqlite_internal
