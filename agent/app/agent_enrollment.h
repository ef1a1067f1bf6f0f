// The agent's side of identity: the node key in the state directory, or, on
// the first start, enrollment with the collector using an enrollment secret.
#ifndef CLEANSWEEP_AGENT_APP_AGENT_ENROLLMENT_H_
#define CLEANSWEEP_AGENT_APP_AGENT_ENROLLMENT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/app/node_credential.h"
#include "agent/uplink/collector_channel.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

struct EnrollSettings {
  std::string state_dir;            // where the node key lives (required)
  std::string requested_agent_id;   // --agent-id; empty = keep the enrolled one / host name
  std::string default_agent_id;     // the host name
  std::string secret_file;          // --enroll-secret-file; only needed to enroll
  std::vector<CollectorChannelOptions> collectors;  // tried in turn
  cleansweep::v1::HostFacts host;   // sent with the enrollment
  absl::Duration timeout = absl::Seconds(10);  // per collector address
};

// The credential to connect with:
//  - the state directory's node key when there is one (FailedPrecondition if
//    --agent-id asks for another id than the one it was enrolled as);
//  - else enrolls with the secret, trying each collector in turn, and saves
//    the key (mode 0600) before returning it.
// Errors that retrying cannot fix keep their code (FailedPrecondition: no
// secret file / unreadable key file; Unauthenticated: secret refused;
// AlreadyExists: the id is taken or revoked; InvalidArgument: bad id).
// Unavailable / DeadlineExceeded when no collector answered: try later.
absl::StatusOr<NodeCredential> LoadOrEnroll(const EnrollSettings& settings);

// The local half of LoadOrEnroll, without contacting the collector: the
// state directory's credential, or nullopt when the agent still has to enroll
// and can (the secret file is readable). The same FailedPrecondition errors
// as LoadOrEnroll; the agent checks this at start so that a setup mistake
// stops it with a clear message instead of being retried forever.
absl::StatusOr<std::optional<NodeCredential>> LoadLocalCredential(const EnrollSettings& settings);

// The first secret in an enrollment secret file (one per line, '#' comments).
absl::StatusOr<std::string> ReadEnrollSecret(const std::string& path);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_APP_AGENT_ENROLLMENT_H_
