// HttpServer: the status page on the network — cpp-httplib (Debian's
// libcpp-httplib, with OpenSSL) adapting every request to a StatusRouter.
// The only file of the collector that includes httplib.
//
//  - Listens on host:port (port 0: a free one, see port()) with SO_REUSEADDR
//    only: a second collector on the same port fails instead of sharing it.
//  - TLS when a certificate and key are given (TLS 1.2 or newer).
//  - With a Login, every request needs HTTP Basic credentials of the users
//    file, checked before anything else (401 with WWW-Authenticate).
//  - Methods other than GET and HEAD are answered 405 before any body is read.
//  - Every response carries Content-Security-Policy (scripts and styles only
//    from this origin, no inline script, nothing from elsewhere),
//    X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
//    Referrer-Policy: no-referrer and Cache-Control: no-store; with TLS also
//    Strict-Transport-Security.
// Requests are served on a small pool of threads of its own. Thread-safe;
// the destructor stops the server and waits for its threads.
#ifndef CLEANSWEEP_COLLECTOR_WEB_HTTP_SERVER_H_
#define CLEANSWEEP_COLLECTOR_WEB_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "collector/web/login.h"
#include "collector/web/router.h"

namespace cleansweep::collector::web {

inline constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct HttpServerOptions {
  std::string host;  // as for bind(2): an address or a name
  int port = 0;
  std::string tls_cert_file;  // PEM chain; with tls_key_file, or both empty
  std::string tls_key_file;
  Login* login = nullptr;     // borrowed; null = no login
  int threads = 4;
};

class HttpServer {
 public:
  // Binds and starts serving. Unavailable when the address cannot be bound
  // (in use, not local); InvalidArgument when the TLS files do not load.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           StatusRouter* router);
  ~HttpServer();

  int port() const;
  bool tls() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_HTTP_SERVER_H_
