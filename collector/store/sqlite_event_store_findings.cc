// SqliteEventStore: bulk event reads for re-judging, single event lookups
// for evidence, and the live detector's findings.
#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store_internal.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {
namespace {

bool ParseView(absl::string_view bytes, google::protobuf::MessageLite* m) {
  return m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// Whether [from_us, to_us] covers a quarter or more of the stored time span.
bool CoversMostOfTable(sqlite3* db, int64_t from_us, int64_t to_us) {
  // min() and max() of an indexed column are one index descent each.
  Statement lo(db, "SELECT min(time_us) FROM events");
  Statement hi(db, "SELECT max(time_us) FROM events");
  if (!lo.status().ok() || !hi.status().ok() || !lo.Step() || !hi.Step() || lo.IsNull(0)) {
    return false;
  }
  const int64_t first = lo.Int(0), last = hi.Int(0);
  // Assumes events spread evenly over time: the share of the span covered.
  const double span = static_cast<double>(last) - static_cast<double>(first);
  const double covered = std::min(static_cast<double>(to_us), static_cast<double>(last)) -
                         std::max(static_cast<double>(from_us), static_cast<double>(first));
  if (covered < 0) return false;
  return span <= 0 || covered >= 0.25 * span;
}

// The rowids of the events with time in [from_us, to_us]: their least, their
// greatest and how many there are (read from the time index alone, which
// holds the rowid: no table row is touched).
struct RowidSpan {
  int64_t first = 0;
  int64_t last = -1;
  int64_t count = 0;
};
absl::StatusOr<RowidSpan> RowidsInRange(sqlite3* db, int64_t from_us, int64_t to_us) {
  Statement q(db,
              "SELECT min(rowid), max(rowid), count(*) FROM events INDEXED BY events_by_time "
              "WHERE time_us BETWEEN ? AND ?");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, from_us);
  q.Bind(2, to_us);
  RowidSpan span;
  if (q.Step() && !q.IsNull(0)) span = {q.Int(0), q.Int(1), q.Int(2)};
  RETURN_IF_ERROR(q.status());
  return span;
}

}  // namespace

absl::Status SqliteEventStore::ScanEvents(absl::Time from, absl::Time to,
                                          const EventVisitor& visit) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  const int64_t from_us = MicrosOrLimit(from), to_us = MicrosOrLimit(to);
  // Through the time index every row costs a B-tree descent into the table
  // (about four times a sequential read of it), so a range that covers much
  // of the stored time span is read by scanning the whole table instead. The
  // rows are the same either way; only their order differs, which the
  // contract leaves open.
  //
  // Rows are stored in arrival order, so a window's events mostly sit
  // together: when the rowids of the window's events (from the index alone)
  // span few rows that are not in it, that stretch of the table is read in
  // order (ten times faster than through the index here). Events that
  // arrived late (an agent's spool after an outage) only widen the stretch;
  // past four rows per event the index is used after all, so the cost never
  // grows with what lies outside the window.
  const bool whole_table = CoversMostOfTable(db_, from_us, to_us);
  RowidSpan rows;
  rows.first = std::numeric_limits<int64_t>::min();
  rows.last = std::numeric_limits<int64_t>::max();
  bool by_rowid = false;
  if (!whole_table) {
    ASSIGN_OR_RETURN(rows, RowidsInRange(db_, from_us, to_us));
    if (rows.count == 0) return absl::OkStatus();
    const double stretch = static_cast<double>(rows.last) - static_cast<double>(rows.first) + 1;
    by_rowid = stretch <= 4.0 * static_cast<double>(rows.count);
  }
  Statement q(db_, whole_table ? "SELECT agent_id, payload FROM events NOT INDEXED "
                                 "WHERE time_us BETWEEN ?1 AND ?2"
                   : by_rowid  ? "SELECT agent_id, payload FROM events NOT INDEXED "
                                 "WHERE rowid BETWEEN ?3 AND ?4 AND time_us BETWEEN ?1 AND ?2"
                               : "SELECT agent_id, payload FROM events INDEXED BY events_by_time "
                                 "WHERE time_us BETWEEN ?1 AND ?2");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, from_us);
  q.Bind(2, to_us);
  if (by_rowid) {
    q.Bind(3, rows.first);
    q.Bind(4, rows.last);
  }
  while (q.Step()) {
    // The agent id column is short; the payload is read in place.
    absl::string_view id = q.BlobView(0);
    RETURN_IF_ERROR(visit(id, q.BlobView(1)));
  }
  return q.status();
}

absl::StatusOr<StoredEvent> SqliteEventStore::GetEvent(absl::string_view agent_id,
                                                       uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_,
              "SELECT received_us, payload FROM events WHERE agent_id = ? AND sequence = ?");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  q.Bind(2, static_cast<int64_t>(sequence));
  if (!q.Step()) {
    RETURN_IF_ERROR(q.status());
    return absl::NotFoundError(absl::StrCat("no event ", sequence, " of agent ", agent_id));
  }
  StoredEvent se;
  se.agent_id = std::string(agent_id);
  se.received_time = absl::FromUnixMicros(q.Int(0));
  if (!ParseView(q.BlobView(1), &se.event)) {
    return absl::DataLossError(absl::StrCat("stored event ", sequence, " of agent ", agent_id,
                                            " does not parse; database ", path_, " is damaged"));
  }
  return se;
}

namespace {

// The two signals of sweep answers (rules.proto): their findings are
// replaced by ReplaceSweepFindings, the others by ReplaceHostFindings.
bool IsSweepFinding(const cleansweep::v1::Finding& f) {
  return f.signal() == cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER ||
         f.signal() == cleansweep::v1::SIGNAL_SWEEP_HOSTS_REDIRECT;
}

// Deletes the findings of `host` for which `doomed` is true. The table has
// no column telling sweep findings from the others, so the host's rows (the
// host index finds them) are read and judged; a host has few.
absl::Status DeleteHostFindingsIf(
    sqlite3* db, absl::string_view host,
    const std::function<bool(const cleansweep::v1::Finding&)>& doomed) {
  std::vector<int64_t> rowids;
  {
    Statement q(db, "SELECT rowid, finding FROM findings WHERE host = ?");
    RETURN_IF_ERROR(q.status());
    q.Bind(1, host);
    cleansweep::v1::Finding f;
    while (q.Step()) {
      // A row that does not parse is nobody's to keep: replaced either way.
      if (!ParseView(q.BlobView(1), &f) || doomed(f)) rowids.push_back(q.Int(0));
    }
    RETURN_IF_ERROR(q.status());
  }
  Statement del(db, "DELETE FROM findings WHERE rowid = ?");
  RETURN_IF_ERROR(del.status());
  for (int64_t id : rowids) {
    del.Reset();
    del.Bind(1, id);
    RETURN_IF_ERROR(del.Run());
  }
  return absl::OkStatus();
}

absl::Status InsertFindings(sqlite3* db, absl::Span<const cleansweep::v1::Finding> findings,
                            absl::Time now) {
  Statement ins(db,
                "INSERT INTO findings (host, rule, severity, first_us, last_us, rules_digest, "
                "updated_us, finding) VALUES (?,?,?,?,?,?,?,?)");
  RETURN_IF_ERROR(ins.status());
  std::string blob;
  for (const cleansweep::v1::Finding& f : findings) {
    f.SerializeToString(&blob);
    ins.Reset();
    ins.Bind(1, f.host());
    ins.Bind(2, f.rule());
    ins.Bind(3, static_cast<int64_t>(f.severity()));
    ins.Bind(4, TimestampMicros(f.first_time()));
    ins.Bind(5, TimestampMicros(f.last_time()));
    ins.Bind(6, f.rules_digest());
    ins.Bind(7, absl::ToUnixMicros(now));
    ins.BindBlob(8, blob);
    RETURN_IF_ERROR(ins.Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SqliteEventStore::ReplaceHostFindings(
    absl::string_view host, absl::Span<const cleansweep::v1::Finding> findings, absl::Time now) {
  for (const cleansweep::v1::Finding& f : findings) {
    if (f.host() != host) {
      return absl::InvalidArgumentError(
          absl::StrCat("finding of host ", f.host(), " given for host ", host));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(DeleteHostFindingsIf(
      db_, host, [](const cleansweep::v1::Finding& f) { return !IsSweepFinding(f); }));
  RETURN_IF_ERROR(InsertFindings(db_, findings, now));
  return tx.Commit();
}

absl::Status SqliteEventStore::ReplaceSweepFindings(
    absl::string_view host, absl::string_view agent_id,
    absl::Span<const cleansweep::v1::Finding> findings, absl::Time now) {
  for (const cleansweep::v1::Finding& f : findings) {
    if (f.host() != host || f.agent_id() != agent_id || !IsSweepFinding(f)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "finding ", f.rule(), " of host ", f.host(), " (agent ", f.agent_id(),
          ") given as a sweep finding of agent ", agent_id, " at host ", host));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(DeleteHostFindingsIf(db_, host, [&](const cleansweep::v1::Finding& f) {
    return IsSweepFinding(f) && f.agent_id() == agent_id;
  }));
  RETURN_IF_ERROR(InsertFindings(db_, findings, now));
  return tx.Commit();
}

absl::StatusOr<std::vector<cleansweep::v1::Finding>> SqliteEventStore::ListFindings(
    absl::Time from, absl::Time to) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_,
              "SELECT finding FROM findings WHERE last_us >= ? AND first_us <= ? "
              "ORDER BY host, first_us, rule");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, MicrosOrLimit(from));
  q.Bind(2, MicrosOrLimit(to));
  std::vector<cleansweep::v1::Finding> out;
  while (q.Step()) {
    cleansweep::v1::Finding f;
    if (!ParseView(q.BlobView(0), &f)) {
      return absl::DataLossError(
          absl::StrCat("a stored finding does not parse; database ", path_, " is damaged"));
    }
    out.push_back(std::move(f));
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace cleansweep::collector::sqlite_internal
