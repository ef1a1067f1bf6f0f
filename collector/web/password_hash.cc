#include "collector/web/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cleansweep::collector::web {
namespace {

constexpr absl::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;

}  // namespace

absl::StatusOr<std::string> Pbkdf2Sha256(absl::string_view password, absl::string_view salt,
                                         uint32_t iterations, size_t key_length) {
  std::string key(key_length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations),
                        EVP_sha256(), static_cast<int>(key_length),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    return absl::InternalError("PBKDF2 failed in OpenSSL");
  }
  return key;
}

absl::StatusOr<std::string> HashPassword(absl::string_view password, uint32_t iterations) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  if (iterations < kMinPbkdf2Iterations) {
    return absl::InvalidArgumentError(
        absl::StrCat("at least ", kMinPbkdf2Iterations, " iterations are needed"));
  }
  PasswordHash hash;
  hash.iterations = iterations;
  hash.salt.resize(kSaltBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(hash.salt.data()), kSaltBytes) != 1) {
    return absl::InternalError("OpenSSL's random generator failed");
  }
  absl::StatusOr<std::string> key = Pbkdf2Sha256(password, hash.salt, iterations, kKeyBytes);
  if (!key.ok()) return key.status();
  hash.key = *std::move(key);
  return FormatPasswordHash(hash);
}

absl::StatusOr<PasswordHash> ParsePasswordHash(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '$');
  if (parts.size() != 4 || parts[0] != kScheme) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a password hash of the form ", kScheme,
        "$ITERATIONS$SALT$KEY (make one with: cleansweep-collector http-user NAME)"));
  }
  PasswordHash hash;
  if (!absl::SimpleAtoi(parts[1], &hash.iterations) || hash.iterations < kMinPbkdf2Iterations) {
    return absl::InvalidArgumentError(absl::StrCat("iterations '", parts[1],
                                                   "' is not a number of at least ",
                                                   kMinPbkdf2Iterations));
  }
  if (!absl::Base64Unescape(parts[2], &hash.salt) || hash.salt.size() < 8) {
    return absl::InvalidArgumentError("the salt is not base64 of at least 8 bytes");
  }
  if (!absl::Base64Unescape(parts[3], &hash.key) || hash.key.size() != kKeyBytes) {
    return absl::InvalidArgumentError("the key is not base64 of 32 bytes");
  }
  return hash;
}

std::string FormatPasswordHash(const PasswordHash& hash) {
  return absl::StrCat(kScheme, "$", hash.iterations, "$", absl::Base64Escape(hash.salt), "$",
                      absl::Base64Escape(hash.key));
}

bool PasswordMatches(const PasswordHash& hash, absl::string_view password) {
  absl::StatusOr<std::string> key =
      Pbkdf2Sha256(password, hash.salt, hash.iterations, hash.key.size());
  return key.ok() && key->size() == hash.key.size() &&
         CRYPTO_memcmp(key->data(), hash.key.data(), key->size()) == 0;
}

}  // namespace cleansweep::collector::web
