#include "collector/store/sqlite_coverage.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store_internal.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {
namespace {

absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// The last heartbeat's interval and counters, as a Heartbeat message (the
// fields the next fold needs, nothing else).
std::string EncodeTail(const CoverageSegment& s) {
  Heartbeat tail;
  tail.set_interval_seconds(
      static_cast<uint32_t>(std::max<int64_t>(0, absl::ToInt64Seconds(s.last_interval))));
  for (const InterfaceSample& i : s.last_interfaces) {
    auto* out = tail.add_interfaces();
    out->set_name(i.name);
    out->set_received(i.received);
    out->set_dropped(i.dropped);
    out->set_interface_dropped(i.interface_dropped);
    out->set_up(i.up);
  }
  return tail.SerializeAsString();
}

struct Row {
  int64_t rowid = 0;
  CoverageSegment segment;
};

// The agent's segment with the greatest end, among those ending before
// `before_us` (all when nullopt).
absl::StatusOr<std::optional<Row>> LastSegment(sqlite3* db, absl::string_view agent_id,
                                               std::optional<int64_t> before_us) {
  Statement q(db, absl::StrCat("SELECT rowid, ", kSegmentColumns,
                               " FROM coverage WHERE agent_id = ? AND end_us < ? "
                               "ORDER BY end_us DESC, rowid DESC LIMIT 1"));
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  q.Bind(2, before_us.value_or(std::numeric_limits<int64_t>::max()));
  std::optional<Row> row;
  if (q.Step()) row = Row{q.Int(0), SegmentFromRow(q, 1)};
  RETURN_IF_ERROR(q.status());
  return row;
}

absl::Status BindSegment(Statement& q, int first, const CoverageSegment& s) {
  q.Bind(first, absl::ToUnixMicros(s.start));
  q.Bind(first + 1, absl::ToUnixMicros(s.end));
  q.Bind(first + 2, absl::ToUnixMicros(s.run_start));
  q.Bind(first + 3, static_cast<int64_t>(s.heartbeats));
  q.Bind(first + 4, ClampToInt64(s.loss.received));
  q.Bind(first + 5, ClampToInt64(s.loss.dropped));
  q.Bind(first + 6, ClampToInt64(s.loss.interface_dropped));
  q.Bind(first + 7, s.interface_down ? 1 : 0);
  q.BindBlob(first + 8, EncodeTail(s));
  return q.status();
}

absl::Status UpdateSegment(sqlite3* db, int64_t rowid, const CoverageSegment& s) {
  Statement q(db,
              "UPDATE coverage SET start_us = ?, end_us = ?, run_start_us = ?, heartbeats = ?, "
              "pcap_received = ?, pcap_dropped = ?, pcap_interface_dropped = ?, "
              "interface_down = ?, tail = ? WHERE rowid = ?");
  RETURN_IF_ERROR(q.status());
  RETURN_IF_ERROR(BindSegment(q, 1, s));
  q.Bind(10, rowid);
  return q.Run();
}

absl::Status InsertSegment(sqlite3* db, absl::string_view agent_id, const CoverageSegment& s) {
  Statement q(db, absl::StrCat("INSERT INTO coverage (agent_id, ", kSegmentColumns,
                               ") VALUES (?,?,?,?,?,?,?,?,?,?)"));
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  RETURN_IF_ERROR(BindSegment(q, 2, s));
  return q.Run();
}

// Re-folds the agent's stored heartbeats with time after `after` (the end of
// `base`, the last segment kept; every segment ending after it is rebuilt).
absl::Status Refold(sqlite3* db, absl::string_view agent_id, std::optional<Row> base) {
  const int64_t after_us =
      base ? absl::ToUnixMicros(base->segment.end) : std::numeric_limits<int64_t>::min();
  {
    Statement del(db, "DELETE FROM coverage WHERE agent_id = ? AND end_us > ?");
    RETURN_IF_ERROR(del.status());
    del.Bind(1, agent_id);
    del.Bind(2, after_us);
    RETURN_IF_ERROR(del.Run());
  }
  Statement q(db,
              "SELECT time_us, payload FROM heartbeats WHERE agent_id = ? AND time_us > ? "
              "ORDER BY time_us, rowid");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  q.Bind(2, after_us);
  std::vector<CoverageSegment> segments;
  if (base) segments.push_back(base->segment);
  CoverageSegment next;
  while (q.Step()) {
    Heartbeat hb;
    if (!hb.ParseFromString(q.Blob(1))) {
      return absl::DataLossError(
          absl::StrCat("a stored heartbeat of agent ", agent_id, " does not parse"));
    }
    if (FoldHeartbeat(segments.empty() ? nullptr : &segments.back(), SampleOf(hb, q.Int(0)),
                      &next)) {
      segments.push_back(std::move(next));
    }
  }
  RETURN_IF_ERROR(q.status());
  size_t i = 0;
  if (base) {
    RETURN_IF_ERROR(UpdateSegment(db, base->rowid, segments[0]));
    i = 1;
  }
  for (; i < segments.size(); ++i) RETURN_IF_ERROR(InsertSegment(db, agent_id, segments[i]));
  return absl::OkStatus();
}

}  // namespace

HeartbeatSample SampleOf(const Heartbeat& heartbeat, int64_t time_us) {
  HeartbeatSample s;
  s.time = FromMicros(time_us);
  s.interval = absl::Seconds(heartbeat.interval_seconds());
  s.interfaces.reserve(heartbeat.interfaces_size());
  for (const auto& i : heartbeat.interfaces()) {
    s.interfaces.push_back({i.name(), i.received(), i.dropped(), i.interface_dropped(), i.up()});
  }
  return s;
}

CoverageSegment SegmentFromRow(const Statement& q, int first, bool with_tail) {
  CoverageSegment s;
  s.start = FromMicros(q.Int(first));
  s.end = FromMicros(q.Int(first + 1));
  s.run_start = FromMicros(q.Int(first + 2));
  s.heartbeats = static_cast<size_t>(q.Int(first + 3));
  s.loss.received = q.UInt(first + 4);
  s.loss.dropped = q.UInt(first + 5);
  s.loss.interface_dropped = q.UInt(first + 6);
  s.interface_down = q.Int(first + 7) != 0;
  if (!with_tail) return s;
  Heartbeat tail;
  if (tail.ParseFromString(q.Blob(first + 8))) {
    // A tail that does not parse only loses the next delta, never coverage.
    const HeartbeatSample last = SampleOf(tail, 0);
    s.last_interval = last.interval;
    s.last_interfaces = last.interfaces;
  }
  return s;
}

absl::StatusOr<bool> FoldHeartbeatRow(sqlite3* db, absl::string_view agent_id,
                                      const HeartbeatSample& sample) {
  ASSIGN_OR_RETURN(std::optional<Row> last, LastSegment(db, agent_id, std::nullopt));
  const int64_t t_us = absl::ToUnixMicros(sample.time);
  if (!last || sample.time >= last->segment.end) {
    CoverageSegment appended;
    if (FoldHeartbeat(last ? &last->segment : nullptr, sample, &appended)) {
      RETURN_IF_ERROR(InsertSegment(db, agent_id, appended));
    } else {
      RETURN_IF_ERROR(UpdateSegment(db, last->rowid, last->segment));
    }
    return true;
  }
  // Late (the agent's clock stepped back, say): its place is among the
  // heartbeats already folded.
  if (last->segment.end - sample.time > kRefoldHorizon) return false;
  ASSIGN_OR_RETURN(std::optional<Row> base, LastSegment(db, agent_id, t_us));
  RETURN_IF_ERROR(Refold(db, agent_id, std::move(base)));
  return true;
}

absl::Status AppendSegments(sqlite3* db, absl::string_view agent_id,
                            absl::Span<const CoverageSegment> segments) {
  ASSIGN_OR_RETURN(std::optional<Row> last, LastSegment(db, agent_id, std::nullopt));
  absl::Time after = last ? last->segment.end : absl::InfinitePast();
  for (const CoverageSegment& s : segments) {
    if (s.start < after || s.end < s.start || s.run_start > s.start) {
      return absl::InvalidArgumentError(absl::StrCat(
          "coverage segment [", absl::FormatTime(s.start), ", ", absl::FormatTime(s.end),
          "] of agent ", agent_id, " does not follow the agent's stored coverage in time order"));
    }
    RETURN_IF_ERROR(InsertSegment(db, agent_id, s));
    after = s.end;
  }
  return absl::OkStatus();
}

absl::Status FoldAllStoredHeartbeats(sqlite3* db) {
  Statement agents(db, "SELECT DISTINCT agent_id FROM heartbeats");
  RETURN_IF_ERROR(agents.status());
  std::vector<std::string> ids;
  while (agents.Step()) ids.push_back(agents.Text(0));
  RETURN_IF_ERROR(agents.status());
  for (const std::string& id : ids) RETURN_IF_ERROR(Refold(db, id, std::nullopt));
  return absl::OkStatus();
}

}  // namespace cleansweep::collector::sqlite_internal
