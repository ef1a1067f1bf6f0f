// AgentStreamHandler: the domain logic of one agent stream, without gRPC.
//
// The gRPC adapter (collector_service.h) authenticates the call, then feeds
// every AgentMessage here in arrival order and sends back what Handle()
// returns. Protocol:
//  - The first message must be Hello (agent_id: 1-128 characters from
//    [A-Za-z0-9._:@-]; hostname and version bounded). The reply is the
//    CaptureConfig followed by an Ack of what is already stored for that agent,
//    so a reconnecting agent can drop what the collector already has. When
//    Hello.oldest_sequence says sequences the collector lacks are gone for
//    good, the gap is recorded (EventStore::RecordLostBefore) and the Ack
//    moves past it.
//  - EventBatch: stored in one transaction (duplicates ignored); the reply is
//    an Ack with the highest contiguous stored sequence.
//  - Heartbeat: stored; no reply.
//  - HostFacts (in Hello.host, or an AgentMessage.host when they change):
//    stored with EventStore::RecordHostFacts (address history); no reply. A
//    non-empty HostFacts.hostname replaces Hello.hostname as the agent's
//    hostname. Facts beyond the limits of host_facts.h are InvalidArgument
//    (for Hello.host, before anything is stored).
//  - SweepResult: handed to the SweepCoordinator (SetSweepCoordinator); no
//    reply. An answer it refuses (out of bounds, a sweep that did not ask
//    this agent) is logged and ignored, the stream goes on; a store error
//    ends the stream (the agent is asked again on its next stream). Without
//    a coordinator answers are ignored.
// Any error ends the stream with that status (InvalidArgument for protocol
// violations, FailedPrecondition for out-of-order messages, store errors as
// they are). Not thread-safe: one handler per stream, messages one at a time.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_AGENT_STREAM_HANDLER_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_AGENT_STREAM_HANDLER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "collector/store/event_store.h"
#include "collector/sweep/sweep_coordinator.h"

namespace cleansweep::collector {

// Batches larger than this are refused (the agent's default is 500).
inline constexpr int kMaxEventsPerBatch = 10000;

class AgentStreamHandler {
 public:
  // `store` and `capture_config` are borrowed and must outlive the handler.
  // `peer` is the remote address, recorded with the agent.
  AgentStreamHandler(EventStore* store, const cleansweep::v1::CaptureConfig* capture_config,
                     std::string peer, std::function<absl::Time()> clock = absl::Now);

  // Handles one message, appending replies (possibly none) to `replies`.
  absl::Status Handle(const cleansweep::v1::AgentMessage& message,
                      std::vector<cleansweep::v1::CollectorMessage>* replies);

  // The stream was authenticated as `agent_id` (by its node key): a Hello
  // naming another agent is refused with PermissionDenied. `recheck` is run on
  // every heartbeat; when it fails (the agent was revoked meanwhile) the
  // stream ends with its status. Without a binding any Hello is accepted
  // (unit tests of the protocol).
  void BindAuthenticatedAgent(std::string agent_id, std::function<absl::Status()> recheck) {
    bound_agent_id_ = std::move(agent_id);
    recheck_ = std::move(recheck);
  }

  // Where sweep answers go; borrowed, must outlive the handler. Null: none.
  void SetSweepCoordinator(SweepCoordinator* sweeps) { sweeps_ = sweeps; }

  // Empty until a valid Hello arrived.
  const std::string& agent_id() const { return identity_.agent_id; }
  // The Hello's identity and the peer (for adapters that store batches
  // themselves, e.g. through a BatchWriter).
  const AgentIdentity& identity() const { return identity_; }
  const std::string& peer() const { return identity_.peer; }
  uint64_t events_received() const { return events_received_; }

 private:
  absl::Status OnHello(const cleansweep::v1::Hello& hello,
                       std::vector<cleansweep::v1::CollectorMessage>* replies);
  absl::Status OnEvents(const cleansweep::v1::EventBatch& batch,
                        std::vector<cleansweep::v1::CollectorMessage>* replies);
  absl::Status OnHeartbeat(const cleansweep::v1::Heartbeat& heartbeat);
  absl::Status OnHostFacts(const cleansweep::v1::HostFacts& facts);
  absl::Status OnSweepResult(const cleansweep::v1::SweepResult& result);
  absl::Status OnLost(const cleansweep::v1::LostEvents& lost,
                      std::vector<cleansweep::v1::CollectorMessage>* replies);

  EventStore* const store_;
  const cleansweep::v1::CaptureConfig* const capture_config_;
  const std::function<absl::Time()> clock_;
  AgentIdentity identity_;
  std::string bound_agent_id_;
  std::function<absl::Status()> recheck_;
  SweepCoordinator* sweeps_ = nullptr;
  bool hello_done_ = false;
  uint64_t events_received_ = 0;
};

// Checks a Hello's fields; InvalidArgument naming the bad field otherwise.
absl::Status ValidateHello(const cleansweep::v1::Hello& hello);

// An agent id is 1-128 characters from [A-Za-z0-9._:@-]; InvalidArgument
// otherwise.
absl::Status ValidateAgentId(absl::string_view agent_id);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_AGENT_STREAM_HANDLER_H_
