// SqliteEventStore: reading coverage segments and the newest heartbeat.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_coverage.h"
#include "collector/store/sqlite_event_store_internal.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

absl::StatusOr<std::vector<StoredCoverageSegment>> SqliteEventStore::ListCoverage(
    absl::string_view agent_id, absl::Time from, absl::Time to) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  // A segment meeting the window ends at or after `from` and, being at most
  // kMaxSegmentLength long, before to + kMaxSegmentLength: a range of the end
  // index, whatever lies outside the window.
  const absl::Time end_limit =
      to == absl::InfiniteFuture() ? to : to + kMaxSegmentLength;
  Statement q(db_, absl::StrCat("SELECT agent_id, ", kSegmentColumnsWithoutTail,
                                agent_id.empty()
                                    ? " FROM coverage INDEXED BY coverage_by_end WHERE ?1 = ?1 "
                                    : " FROM coverage WHERE agent_id = ?1 ",
                                "AND end_us BETWEEN ?2 AND ?3 AND start_us <= ?4"));
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  q.Bind(2, MicrosOrLimit(from));
  q.Bind(3, MicrosOrLimit(end_limit));
  q.Bind(4, MicrosOrLimit(to));
  // Rows come in end order (the index). One agent's segments never overlap,
  // so in end order they are also in start order: grouping by agent, in
  // order of arrival, gives (agent id, start) order without sorting the rows
  // (a fleet's week is over half a million of them).
  absl::flat_hash_map<std::string, size_t> group_of;
  std::vector<std::vector<CoverageSegment>> groups;
  while (q.Step()) {
    const absl::string_view id = q.BlobView(0);
    auto it = group_of.find(id);
    if (it == group_of.end()) {
      it = group_of.emplace(std::string(id), groups.size()).first;
      groups.emplace_back();
    }
    groups[it->second].push_back(SegmentFromRow(q, 1, /*with_tail=*/false));
  }
  RETURN_IF_ERROR(q.status());
  std::vector<std::pair<absl::string_view, size_t>> agents(group_of.begin(), group_of.end());
  std::sort(agents.begin(), agents.end());
  std::vector<StoredCoverageSegment> out;
  for (const auto& [id, group] : agents) {
    for (CoverageSegment& s : groups[group]) out.push_back({std::string(id), std::move(s)});
  }
  return out;
}

absl::Status SqliteEventStore::AppendCoverage(absl::string_view agent_id,
                                              absl::Span<const CoverageSegment> segments) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  RETURN_IF_ERROR(ValidateAgentId(agent_id));
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(AppendSegments(db_, agent_id, segments));
  return tx.Commit();
}

absl::StatusOr<std::optional<StoredHeartbeat>> SqliteEventStore::LatestHeartbeat(
    absl::string_view agent_id, absl::Time at) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  // Prepared once: the hosts view asks this for every agent.
  ASSIGN_OR_RETURN(Statement * prepared,
                   CachedLocked(kLatestHeartbeat,
                                "SELECT time_us, received_us, payload FROM heartbeats "
                                "WHERE agent_id = ? AND time_us <= ? "
                                "ORDER BY time_us DESC, rowid DESC LIMIT 1"));
  CachedStatement cached(prepared);
  Statement& q = *cached;
  q.Bind(1, agent_id);
  q.Bind(2, MicrosOrLimit(at));
  std::optional<StoredHeartbeat> out;
  if (q.Step()) {
    StoredHeartbeat h;
    h.agent_id = std::string(agent_id);
    h.received_time = absl::FromUnixMicros(q.Int(1));
    if (!h.heartbeat.ParseFromString(q.Blob(2))) {
      return absl::DataLossError(absl::StrCat("stored heartbeat of agent ", agent_id,
                                              " does not parse; database ", path_, " is damaged"));
    }
    SetTimestampMicros(q.Int(0), h.heartbeat.mutable_time());
    out = std::move(h);
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace cleansweep::collector::sqlite_internal
