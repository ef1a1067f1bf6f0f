// SqliteEventStore: heartbeats and the per-agent summary.
#include "collector/store/sqlite_event_store_internal.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_coverage.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

absl::Status SqliteEventStore::RecordHeartbeat(absl::string_view agent_id,
                                               const Heartbeat& heartbeat, absl::Time now) {
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
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  Statement insert(db_,
                   "INSERT INTO heartbeats (agent_id, time_us, received_us, pcap_received, "
                   "pcap_dropped, pcap_interface_dropped, packets, events, payload) "
                   "VALUES (?,?,?,?,?,?,?,?,?)");
  RETURN_IF_ERROR(insert.status());
  const int64_t received_us = absl::ToUnixMicros(now);
  const int64_t time_us = heartbeat.has_time() ? TimestampMicros(heartbeat.time()) : received_us;
  insert.Bind(1, agent_id);
  insert.Bind(2, time_us);
  insert.Bind(3, received_us);
  insert.Bind(4, ClampToInt64(received));
  insert.Bind(5, ClampToInt64(dropped));
  insert.Bind(6, ClampToInt64(if_dropped));
  insert.Bind(7, ClampToInt64(heartbeat.packets()));
  insert.Bind(8, ClampToInt64(heartbeat.events()));
  insert.BindBlob(9, payload);
  RETURN_IF_ERROR(insert.Run());
  RETURN_IF_ERROR(FoldHeartbeatRow(db_, agent_id, SampleOf(heartbeat, time_us)).status());
  // A heartbeat is a sign of life too.
  Statement seen(db_, "UPDATE agents SET last_seen_us = MAX(last_seen_us, ?) WHERE agent_id = ?");
  RETURN_IF_ERROR(seen.status());
  seen.Bind(1, received_us);
  seen.Bind(2, agent_id);
  RETURN_IF_ERROR(seen.Run());
  return tx.Commit();
}

absl::StatusOr<std::vector<AgentSummary>> SqliteEventStore::ListAgents() {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_,
              R"sql(SELECT a.agent_id, a.hostname, a.version, a.peer, a.first_seen_us,
                             a.last_seen_us,
                             a.event_count,
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

absl::StatusOr<std::vector<StoredHeartbeat>> SqliteEventStore::ListHeartbeats(
    absl::string_view agent_id, absl::Time from, absl::Time to) {
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
                                              " does not parse; database ", path_, " is damaged"));
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

absl::StatusOr<LostEventGaps> SqliteEventStore::CountLostEventGaps(absl::string_view agent_id,
                                                                   absl::Time from, absl::Time to) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  ASSIGN_OR_RETURN(Statement * prepared,
                   CachedLocked(kCountGaps,
                                "SELECT COUNT(*), COALESCE(SUM(missing), 0) FROM gaps "
                                "WHERE agent_id = ? AND recorded_us BETWEEN ? AND ?"));
  CachedStatement cached(prepared);
  Statement& q = *cached;
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

}  // namespace cleansweep::collector::sqlite_internal
