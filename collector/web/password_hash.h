// Password hashes for the status page's login file (--http-users): PBKDF2
// with HMAC-SHA-256 (OpenSSL), a random salt and the iteration count kept in
// the hash text, so that raising the count later leaves older lines valid:
//
//   pbkdf2-sha256$600000$<salt, base64>$<32-byte key, base64>
//
// Thread-safe (OpenSSL's PBKDF2 and RNG are).
#ifndef CLEANSWEEP_COLLECTOR_WEB_PASSWORD_HASH_H_
#define CLEANSWEEP_COLLECTOR_WEB_PASSWORD_HASH_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cleansweep::collector::web {

// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
inline constexpr uint32_t kDefaultPbkdf2Iterations = 600000;
// Fewer iterations than this are refused when reading a hash: a weak line in
// the users file is an error, not a silent downgrade.
inline constexpr uint32_t kMinPbkdf2Iterations = 100000;

struct PasswordHash {
  uint32_t iterations = 0;
  std::string salt;  // raw bytes
  std::string key;   // raw bytes, 32
};

// PBKDF2-HMAC-SHA256(password, salt, iterations) with a `key_length`-byte
// output. Internal if OpenSSL fails.
absl::StatusOr<std::string> Pbkdf2Sha256(absl::string_view password, absl::string_view salt,
                                         uint32_t iterations, size_t key_length = 32);

// A new hash with a 16-byte random salt, as text. InvalidArgument for an empty
// password or fewer than kMinPbkdf2Iterations iterations.
absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         uint32_t iterations = kDefaultPbkdf2Iterations);

// Parses the text form; InvalidArgument saying what is wrong.
absl::StatusOr<PasswordHash> ParsePasswordHash(absl::string_view text);
std::string FormatPasswordHash(const PasswordHash& hash);

// True when `password` derives `hash.key` (compared in constant time).
bool PasswordMatches(const PasswordHash& hash, absl::string_view password);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_PASSWORD_HASH_H_
