#include "collector/web/login.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cleansweep::collector::web {
namespace {

// At most this many remembered logins; the oldest go first past it.
constexpr size_t kMaxRemembered = 256;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    out.clear();  // the cache then keys on an empty key; still never stores passwords
  }
  return out;
}

PasswordHash DummyHash() {
  PasswordHash h;
  h.iterations = kDefaultPbkdf2Iterations;
  h.salt = RandomBytes(16);
  h.key = RandomBytes(32);
  return h;
}

bool ValidUserName(absl::string_view user) {
  if (user.empty()) return false;
  for (unsigned char c : user) {
    if (c < 0x20 || c == 0x7f || c == ':') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::map<std::string, PasswordHash>> ParseUsersFile(absl::string_view text,
                                                                   absl::string_view source) {
  std::map<std::string, PasswordHash> users;
  std::vector<std::string> errors;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t colon = trimmed.find(':');
    const absl::string_view user = trimmed.substr(0, colon);
    if (colon == absl::string_view::npos || !ValidUserName(user)) {
      errors.push_back(absl::StrCat(source, ":", line_number,
                                    ": expected USER:HASH with a non-empty user name"));
      continue;
    }
    absl::StatusOr<PasswordHash> hash = ParsePasswordHash(trimmed.substr(colon + 1));
    if (!hash.ok()) {
      errors.push_back(absl::StrCat(source, ":", line_number, ": ", hash.status().message()));
      continue;
    }
    if (!users.emplace(std::string(user), *std::move(hash)).second) {
      errors.push_back(absl::StrCat(source, ":", line_number, ": user '", user,
                                    "' appears more than once"));
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return users;
}

absl::StatusOr<std::unique_ptr<Login>> Login::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read --http-users ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::map<std::string, PasswordHash>> users = ParseUsersFile(text.str(), path);
  if (!users.ok()) return users.status();
  if (users->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-users ", path, " has no user (add one: cleansweep-collector http-user NAME)"));
  }
  return std::make_unique<Login>(*std::move(users));
}

Login::Login(std::map<std::string, PasswordHash> users)
    : users_(std::move(users)), dummy_(DummyHash()), cache_key_(RandomBytes(32)) {}

bool Login::Allows(absl::string_view authorization, absl::Time now) {
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.size() < 6 || !absl::EqualsIgnoreCase(authorization.substr(0, 6), "basic ")) {
    return false;
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(authorization.substr(6)), &decoded)) {
    return false;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded.substr(0, colon);
  const absl::string_view password = absl::string_view(decoded).substr(colon + 1);

  // Keyed digest of the credentials: what the cache remembers.
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), cache_key_.data(), static_cast<int>(cache_key_.size()),
       reinterpret_cast<const unsigned char*>(decoded.data()), decoded.size(), mac, &mac_length);
  const std::string digest(reinterpret_cast<const char*>(mac), mac_length);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = verified_.find(digest);
    if (it != verified_.end()) {
      if (it->second > now) return true;
      verified_.erase(it);
    }
  }
  if (!Verify(user, password)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (verified_.size() >= kMaxRemembered) {
    auto oldest = verified_.begin();
    for (auto it = verified_.begin(); it != verified_.end(); ++it) {
      if (it->second < oldest->second) oldest = it;
    }
    verified_.erase(oldest);
  }
  verified_[digest] = now + kLoginCacheTtl;
  return true;
}

bool Login::Verify(const std::string& user, absl::string_view password) {
  auto it = users_.find(user);
  if (it == users_.end()) {
    (void)PasswordMatches(dummy_, password);  // same cost as a known user
    return false;
  }
  return PasswordMatches(it->second, password);
}

}  // namespace cleansweep::collector::web
