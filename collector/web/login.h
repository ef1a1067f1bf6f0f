// Login for the status page: the users file (--http-users) and HTTP Basic
// authentication against it. Basic sends the password with every request,
// so the page only accepts a login over TLS (status_page.h enforces it).
//
// Users file: one "user:hash" line per user (hash as password_hash.h, made by
// `cleansweep-collector http-user NAME`); blank lines and lines starting with
// '#' are ignored. A user name is non-empty and has no ':' or control
// character; each appears once.
//
// Verifying a password costs one PBKDF2 (about 0.3 s at 600,000 iterations),
// and a page makes several requests every refresh, so a successful login is
// remembered for kLoginCacheTtl as a keyed SHA-256 of "user:password" (never
// the password). An unknown user costs the same PBKDF2 as a known one, so the
// answer time does not tell which names exist.
//
// Thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_LOGIN_H_
#define CLEANSWEEP_COLLECTOR_WEB_LOGIN_H_

#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/web/password_hash.h"

namespace cleansweep::collector::web {

inline constexpr absl::Duration kLoginCacheTtl = absl::Minutes(10);

// Parses the users file's text; errors name "SOURCE:LINE" for every bad line.
absl::StatusOr<std::map<std::string, PasswordHash>> ParseUsersFile(absl::string_view text,
                                                                   absl::string_view source);

class Login {
 public:
  // Reads and parses `path`; NotFound / InvalidArgument naming the file. A
  // file without any user is InvalidArgument (nobody could log in).
  static absl::StatusOr<std::unique_ptr<Login>> Load(const std::string& path);
  explicit Login(std::map<std::string, PasswordHash> users);

  // True when `authorization` (the Authorization header's value) is
  // "Basic base64(user:password)" for a user of the file and their password.
  bool Allows(absl::string_view authorization, absl::Time now);

 private:
  bool Verify(const std::string& user, absl::string_view password);

  const std::map<std::string, PasswordHash> users_;
  const PasswordHash dummy_;  // verified for unknown users (equal cost)
  const std::string cache_key_;  // random per process
  std::mutex mu_;
  std::map<std::string, absl::Time> verified_;  // keyed digest -> expiry
};

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_LOGIN_H_
