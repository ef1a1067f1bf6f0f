// Enrollment from the agent's side: trade an enrollment secret for a node key
// at the collector (rpc Collector.Enroll), over the same TLS settings as the
// stream (the collector's certificate must verify against the pinned CA).
#ifndef CLEANSWEEP_AGENT_UPLINK_ENROLL_CLIENT_H_
#define CLEANSWEEP_AGENT_UPLINK_ENROLL_CLIENT_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/uplink/collector_channel.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

// One Enroll call with a deadline of `timeout`. The error is the collector's
// (Unauthenticated: wrong secret; AlreadyExists: id taken or revoked) or
// Unavailable / DeadlineExceeded when it cannot be reached, with a message
// naming the address. A response without a well-formed node key (64 hex
// characters) or for another agent id is Internal.
absl::StatusOr<cleansweep::v1::EnrollResponse> EnrollWithCollector(
    const CollectorChannelOptions& channel, const cleansweep::v1::EnrollRequest& request,
    absl::Duration timeout);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_UPLINK_ENROLL_CLIENT_H_
