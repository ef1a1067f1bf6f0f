#include "collector/service/token_authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace cleansweep::collector {

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Fold every byte of `a` regardless of where a difference occurs; the loop
  // length depends only on a.size(), never on the contents.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char other = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(a[i]) ^ other;
  }
  return diff == 0;
}

absl::Status TokenAuthenticator::Check(absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer TOKEN\" metadata");
  }
  absl::string_view presented = authorization;
  // The scheme is case-insensitive (RFC 7235 §2.1).
  if (presented.size() < 7 || !absl::EqualsIgnoreCase(presented.substr(0, 7), "Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata is not a Bearer token");
  }
  presented.remove_prefix(7);
  presented = absl::StripAsciiWhitespace(presented);
  if (token_.empty() || !ConstantTimeEquals(token_, presented)) {
    return absl::UnauthenticatedError("invalid token");
  }
  return absl::OkStatus();
}

}  // namespace cleansweep::collector
