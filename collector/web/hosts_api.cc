// GET /api/v1/hosts (status_api.h).
#include "collector/web/host_json.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_api.h"

namespace cleansweep::collector::web {

std::string HostsJson(const StatusSnapshot& s, const HostsQuery& query) {
  const HostsPage page = QueryHosts(s, query);
  JsonWriter w;
  w.BeginObject()
      .Key("now").Time(s.now)
      .Key("total").Uint(page.total)
      .Key("all").Uint(s.hosts.size())
      .Key("offset").Uint(query.offset)
      .Key("limit").Uint(query.limit)
      .Key("sort").String(query.sort)
      .Key("order").String(query.descending ? "desc" : "asc")
      .Key("hosts").BeginArray();
  for (const HostView* h : page.rows) WriteHost(*h, s.now, &w);
  w.EndArray().EndObject();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
