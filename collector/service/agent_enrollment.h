// AgentEnrollment: who may report. Domain code: no gRPC types.
//
// Enrollment: an agent presents one of the collector's enrollment secrets and
// the id it wants; it receives a random node key (32 bytes from OpenSSL's
// CSPRNG, 64 hex characters). Only SHA-256(node key) is stored. An id is
// enrolled once: asking again for an enrolled or revoked id is AlreadyExists,
// so a leaked secret cannot take over an existing agent's identity.
//
// Authentication: every stream presents "authorization: Bearer NODE_KEY"; the
// key's hash names the one agent id the stream may speak for. Revoked agents
// are refused (PermissionDenied).
//
// Secrets and keys are compared in constant time; error messages never echo
// what was presented. Thread-safe when the store is (it is only read/written
// through the store).
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_AGENT_ENROLLMENT_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_AGENT_ENROLLMENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

// Enrollment secrets must be at least this long (deploy/pki.sh makes 43).
inline constexpr size_t kMinEnrollSecretLength = 16;

// Parses an enrollment secrets file: one secret per line; blank lines and
// lines starting with '#' are ignored; surrounding whitespace is trimmed.
// InvalidArgument naming the line for a secret that is too short or contains
// whitespace, or when the file holds no secret at all.
absl::StatusOr<std::vector<std::string>> ParseEnrollSecrets(absl::string_view text);

// Constant-time equality for secrets (time depends only on the lengths).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

class AgentEnrollment {
 public:
  // `store` is borrowed and must outlive this object. `secrets` must not be
  // empty (ParseEnrollSecrets guarantees it).
  AgentEnrollment(EventStore* store, std::vector<std::string> secrets,
                  std::function<absl::Time()> clock = absl::Now);

  // Enrolls request.agent_id. Unauthenticated for a wrong or missing secret,
  // InvalidArgument for a bad agent id, AlreadyExists for an id that is (or
  // was) enrolled. `peer` is recorded with the credential.
  absl::StatusOr<cleansweep::v1::EnrollResponse> Enroll(
      const cleansweep::v1::EnrollRequest& request, absl::string_view peer);

  // `authorization` is the call metadata value ("Bearer NODE_KEY"). Returns
  // the agent id the key belongs to; Unauthenticated for a missing, malformed
  // or unknown key; PermissionDenied for a revoked agent.
  absl::StatusOr<std::string> Authenticate(absl::string_view authorization);

  // OK while `agent_id` holds an unrevoked credential; PermissionDenied once
  // revoked, Unauthenticated if it has none.
  absl::Status CheckNotRevoked(absl::string_view agent_id);

 private:
  bool SecretAccepted(absl::string_view presented) const;

  EventStore* const store_;
  const std::vector<std::string> secrets_;
  const std::function<absl::Time()> clock_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_AGENT_ENROLLMENT_H_
