// `cleansweep-collector http-user NAME`: reads a password from standard input
// (its first line; a terminal is not echoed to) and prints the status page's
// users-file line for it, "NAME:pbkdf2-sha256$...", to append to the
// --http-users file. Exit 0, or 2 for a bad name, an empty password or too
// few iterations.
#ifndef CLEANSWEEP_COLLECTOR_WEB_HTTP_USER_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_WEB_HTTP_USER_COMMAND_H_

#include <cstdint>
#include <string>

#include "collector/web/password_hash.h"

namespace cleansweep::collector::web {

struct HttpUserConfig {
  std::string name;
  uint32_t iterations = kDefaultPbkdf2Iterations;
};

int RunHttpUser(const HttpUserConfig& config);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_HTTP_USER_COMMAND_H_
