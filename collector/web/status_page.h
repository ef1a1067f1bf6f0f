// The status page as `serve` runs it: checks the --http flags, opens the
// page's own read-only connection to the database (OpenForQuery; never the
// ingest connection, so a slow page never stalls ingestion), and serves the
// router (router.h) with HttpServer (http_server.h).
//
// Security policy:
//  - --http off: no page.
//  - A loopback address (127.0.0.0/8, ::1, localhost): plain HTTP allowed.
//  - Any other address needs TLS (--http-tls-cert and --http-tls-key) and a
//    login (--http-users); otherwise the start is refused (InvalidArgument,
//    before anything listens).
//  - --http-users needs TLS wherever the page listens (Basic sends the
//    password with every request); cert and key go together.
// When it listens it logs "status page on http(s)://HOST:PORT" (the bound
// port when PORT was 0). If the default address (not given on the command
// line) cannot be bound, a warning is logged and serve runs without a page;
// an explicitly given one that cannot be bound is Unavailable.
#ifndef CLEANSWEEP_COLLECTOR_WEB_STATUS_PAGE_H_
#define CLEANSWEEP_COLLECTOR_WEB_STATUS_PAGE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "collector/cli/commands.h"

namespace cleansweep::collector::web {

// A StatusPageStarter (commands.h): null handle when not started.
absl::StatusOr<std::shared_ptr<void>> StartStatusPage(const ServeRuntime& runtime);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_STATUS_PAGE_H_
