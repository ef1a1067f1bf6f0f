// StatusRouter: every request the status page answers, as a pure mapping from
// (method, path, query parameters) to a response, so that the whole site is
// testable without HTTP (http_server.h only adapts it to cpp-httplib).
//
//   /, /hosts, /hosts/{key}, /findings, /sweeps   the page (index.html; app.js
//                                                 draws the view from the path)
//   /static/app.js, /static/app.css               compiled-in assets
//   /api/v1/fleet | hosts | hosts/{key} | findings | sweeps   JSON (status_api.h)
//   /metrics                                      Prometheus text
//   /healthz                                      "ok" when the store answers, else 503
// Only GET and HEAD: any other method is 405 with "Allow: GET, HEAD". API
// errors are JSON {"error":"..."}: 400 bad parameter, 404 no such host or
// endpoint, 503 the store cannot be read.
//
// The router reads `store`, the status page's own read-only connection (never
// the ingest one), through two caches (refreshing_cache.h): the snapshot
// (status_snapshot.h) is rebuilt in the background once older than
// snapshot_max_age, the fleet's 7-day coverage once older than
// week_max_age; a request never waits for a rebuild (only the first one
// builds). Thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_ROUTER_H_
#define CLEANSWEEP_COLLECTOR_WEB_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"
#include "collector/web/refreshing_cache.h"
#include "collector/web/status_api.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

struct WebRequest {
  std::string method;
  std::string path;  // decoded, without the query
  std::map<std::string, std::string> params;  // decoded; first value of each name
};

struct WebResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

struct StatusSources {
  EventStore* store = nullptr;  // borrowed; must outlive the router
  std::function<absl::Time()> clock;
  // The rules in force (egress classification); may be empty or return null.
  std::function<std::shared_ptr<const CompiledRules>()> rules;
  // Counters of the running service; may be empty.
  std::function<LiveCounters()> live;
  absl::Duration snapshot_max_age = absl::Seconds(10);  // the page refreshes every 10 s
  absl::Duration week_max_age = absl::Minutes(5);
};

class StatusRouter {
 public:
  explicit StatusRouter(StatusSources sources);
  WebResponse Handle(const WebRequest& request);

 private:
  WebResponse Api(absl::string_view endpoint, const WebRequest& request);

  const StatusSources sources_;
  RefreshingCache<WeekCoverage> week_;
  RefreshingCache<StatusSnapshot> cache_;
};

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_ROUTER_H_
