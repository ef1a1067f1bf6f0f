#include "collector/cli/hosts_commands.h"
#include "collector/cli/cli_util.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/cli/commands.h"
#include "collector/cli/hosts_view.h"
#include "collector/cli/inventory_csv.h"
#include "collector/store/sqlite_event_store.h"
#include "common/time_util.h"
#include "common/status_macros.h"

namespace cleansweep::collector {

int RunInventoryImport(const InventoryImportConfig& config) {
  std::ifstream in(config.csv_path, std::ios::binary);
  if (!in) {
    return Fail(
        absl::StrCat("cannot read inventory ", config.csv_path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<InventoryHost>> hosts = ParseInventoryCsv(text.str(), config.csv_path);
  if (!hosts.ok()) {
    std::cerr << hosts.status().message() << "\n";
    return Fail(absl::StrCat("nothing imported; fix ", config.csv_path, " and run again"));
  }
  absl::StatusOr<EventStorePtr> store = OpenSqliteEventStore(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  absl::Status replaced = (*store)->ReplaceInventory(*hosts, absl::Now());
  if (!replaced.ok()) {
    return Fail(absl::StrCat("importing into ", config.db_path, ": ", replaced.message()));
  }
  absl::Status closed = (*store)->Close();
  if (!closed.ok()) return Fail(closed.message());
  std::cout << "imported " << hosts->size() << (hosts->size() == 1 ? " host" : " hosts") << " into "
            << config.db_path << "\n";
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

absl::StatusOr<std::vector<HostRow>> LoadHostRows(EventStore& s, absl::Time now,
                                                  absl::Duration window) {
  ASSIGN_OR_RETURN(std::vector<InventoryHost> inventory, s.ListInventory());
  ASSIGN_OR_RETURN(std::vector<AgentSummary> agents, s.ListAgents());
  ASSIGN_OR_RETURN(std::vector<StoredHostFacts> facts, s.ListHostFacts());
  std::map<std::string, StoredHostFacts> facts_by_agent;
  for (StoredHostFacts& f : facts) facts_by_agent[f.agent_id] = std::move(f);
  ASSIGN_OR_RETURN(std::vector<StoredCoverageSegment> segments,
                   s.ListCoverage("", now - window, now));
  std::map<std::string, std::vector<CoverageSegment>> coverage_by_agent;
  for (StoredCoverageSegment& c : segments) {
    coverage_by_agent[c.agent_id].push_back(std::move(c.segment));
  }
  std::vector<AgentActivity> activity;
  activity.reserve(agents.size());
  for (AgentSummary& a : agents) {
    AgentActivity act;
    const std::string id = a.identity.agent_id;
    auto c = coverage_by_agent.find(id);
    if (c != coverage_by_agent.end()) act.coverage = std::move(c->second);
    ASSIGN_OR_RETURN(act.latest, s.LatestHeartbeat(id, now));
    ASSIGN_OR_RETURN(act.gaps, s.CountLostEventGaps(id, now - window, now));
    act.agent = std::move(a);
    auto f = facts_by_agent.find(id);
    if (f != facts_by_agent.end()) act.facts = std::move(f->second);
    activity.push_back(std::move(act));
  }
  return BuildHostRows(inventory, activity, now, window);
}

int RunHosts(const HostsConfig& config) {
  absl::Time now = absl::Now();
  if (!config.now.empty()) {
    absl::StatusOr<absl::Time> parsed = ParseTimeFlag(config.now, now);
    if (!parsed.ok()) return Usage(absl::StrCat("--now: ", parsed.status().message()));
    now = *parsed;
  }
  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  EventStore& s = **store;
  auto reading = [&](const absl::Status& status) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", status.message()));
  };

  absl::StatusOr<std::vector<HostRow>> rows = LoadHostRows(s, now, kHostsWindow);
  if (!rows.ok()) return reading(rows.status());
  if (config.json) {
    for (const HostRow& r : *rows) std::cout << HostJsonLine(r) << "\n";
  } else {
    std::cout << HostTable(*rows);
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace cleansweep::collector
