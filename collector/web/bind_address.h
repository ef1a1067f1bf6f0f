// The status page's --http value: "ADDR:PORT", "[IPv6]:PORT" or "off", and
// whether ADDR is a loopback address (the only place the page may be served
// without TLS and a login).
#ifndef CLEANSWEEP_COLLECTOR_WEB_BIND_ADDRESS_H_
#define CLEANSWEEP_COLLECTOR_WEB_BIND_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cleansweep::collector::web {

struct BindAddress {
  bool off = false;  // "--http off"
  std::string host;  // without brackets: "127.0.0.1", "::1", "0.0.0.0", "status.example"
  int port = 0;      // 0 = any free port
  // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 or "localhost". A host name other
  // than localhost is not loopback (it may resolve to anything).
  bool loopback = false;

  // "127.0.0.1:8080", "[::1]:8080" with `port` as given.
  std::string HostPort(int port) const;
};

// InvalidArgument naming the accepted forms for anything else (an empty
// host, a missing or out-of-range port, unbalanced brackets).
absl::StatusOr<BindAddress> ParseBindAddress(absl::string_view text);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_BIND_ADDRESS_H_
