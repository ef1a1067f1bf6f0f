// TokenAuthenticator: checks the static bearer token an agent presents in its
// call metadata ("authorization: Bearer TOKEN"). Domain code: no gRPC types.
//
// The comparison takes the same time wherever the first difference is, so the
// token cannot be guessed byte by byte from response times.
// Thread-safe (immutable after construction).
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_TOKEN_AUTHENTICATOR_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_TOKEN_AUTHENTICATOR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cleansweep::collector {

class TokenAuthenticator {
 public:
  // `token` must be non-empty (checked by the caller that reads the token file).
  explicit TokenAuthenticator(std::string token) : token_(std::move(token)) {}

  // `authorization` is the metadata value, e.g. "Bearer s3cr3t". OK when it
  // carries the expected token; Unauthenticated (without echoing what was sent)
  // otherwise.
  absl::Status Check(absl::string_view authorization) const;

 private:
  const std::string token_;
};

// Constant-time equality for secrets (time depends only on the lengths).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_TOKEN_AUTHENTICATOR_H_
