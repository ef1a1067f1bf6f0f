// The Hosts list's query: filter, sort and page a snapshot's hosts, so that
// a fleet of 10,000 is answered one page at a time.
//
// Parameters (all optional):
//   q       case-insensitive substring of the hostname, agent id, the agent's
//           own hostname, owner or any current address
//   status  reporting | silent | never  (never = never reported)
//   verdict clean | unknown | notice | suspicious | mass-mailing | worm-scanning
//   sort    hostname (default) | agent | address | lastSeen | status |
//           coverage24h | coverage7d | loss | backlog | verdict | findings
//   order   asc (default) | desc
//   offset  first row of the page (default 0)
//   limit   rows per page, 1..500 (default 50)
// Sorting is stable and ties go by hostname then agent id, ascending, so a
// page boundary is the same from one refresh to the next. For lastSeen a
// host never seen sorts as the oldest; verdict sorts by severity (unknown,
// clean, notice, ... worm-scanning); backlog by the spool's event count.
// Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_HOSTS_QUERY_H_
#define CLEANSWEEP_COLLECTOR_WEB_HOSTS_QUERY_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

inline constexpr size_t kDefaultPageSize = 50;
inline constexpr size_t kMaxPageSize = 500;

struct HostsQuery {
  std::string q;
  std::string status;
  std::string verdict;
  std::string sort = "hostname";
  bool descending = false;
  size_t offset = 0;
  size_t limit = kDefaultPageSize;
};

// InvalidArgument naming the parameter and its accepted values.
absl::StatusOr<HostsQuery> ParseHostsQuery(const std::map<std::string, std::string>& params);

struct HostsPage {
  size_t total = 0;  // hosts matching the filters
  std::vector<const HostView*> rows;  // [offset, offset + limit) of them, sorted
};

HostsPage QueryHosts(const StatusSnapshot& snapshot, const HostsQuery& query);

// Rank of a verdict for sorting and for "worst first": unknown 0, clean 1,
// then the severities in order.
int VerdictRank(absl::string_view verdict);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_HOSTS_QUERY_H_
