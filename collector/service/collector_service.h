// CollectorService: the gRPC edge of the collector (callback API). A thin
// adapter over domain objects: AgentEnrollment (Enroll, and the node key of
// every stream) and AgentStreamHandler (every message of a stream).
//
// Enroll: a wrong secret → UNAUTHENTICATED, a taken id → ALREADY_EXISTS;
// every refusal and every enrollment is logged with the peer address.
// Per stream:
//  - No, malformed or unknown node key → UNAUTHENTICATED; a revoked agent →
//    PERMISSION_DENIED; a Hello naming another agent than the key's →
//    PERMISSION_DENIED. Each refusal is logged with the peer address.
//  - Flow control: the next message is read only after the previous one was
//    handled (a batch durably stored, then acknowledged), so a fast agent is
//    slowed by gRPC's window instead of filling the collector's memory.
//  - Event batches go to a BatchWriter (batch_writer.h): one writer thread
//    commits the batches of all waiting streams together (one fsync per
//    group), then each stream sends its Ack and reads on. Other messages
//    (Hello, heartbeats, lost ranges) are handled on the callback thread.
//  - Writes are serialized: one outstanding write, the rest queued in order.
//  - When the agent half-closes, queued replies are flushed, then the stream
//    finishes with OK; a handler error finishes it with that status.
//  - Capture configuration: every authenticated stream subscribes to a
//    CaptureConfigBroadcast (capture_config_broadcast.h). Hello is answered
//    with its current configuration; each configuration published later is
//    queued on the stream as a CollectorMessage.config (after the Hello
//    reply, if it arrives before Hello).
//  - Sweeps: with a SweepCoordinator, every authenticated stream subscribes
//    for its agent; each SweepRequest it delivers (pending ones at once, new
//    ones when started) is queued as a CollectorMessage.sweep, after the
//    Hello reply when it comes before; the agent's SweepResult goes back to
//    the coordinator through the stream handler.
// The service borrows the store; both must outlive the grpc::Server. The
// store is called from the writer thread and from gRPC's callback threads.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "collector/service/agent_enrollment.h"
#include "collector/service/batch_writer.h"
#include "collector/service/capture_config_broadcast.h"
#include "collector/store/event_store.h"
#include "collector/sweep/sweep_coordinator.h"

namespace cleansweep::collector {

struct CollectorServiceOptions {
  std::vector<std::string> enroll_secrets;  // non-empty; see ParseEnrollSecrets
  // Sent after Hello when `capture_config_broadcast` is null (the service
  // then keeps a broadcast of its own that nothing publishes to).
  cleansweep::v1::CaptureConfig capture_config;
  // Borrowed; must outlive the grpc::Server. When set, `capture_config` is
  // ignored and streams follow what is published here.
  CaptureConfigBroadcast* capture_config_broadcast = nullptr;
  // Called with every batch once durably stored (the live detector); see
  // BatchWriterOptions::on_stored. Empty: nothing is called.
  std::function<void(const AgentIdentity&, EventRange, const std::shared_ptr<void>& prepared)>
      on_events_stored;
  // Called on the stream's thread with each batch before it goes to the
  // writer (in parallel with the commits of others): work for
  // on_events_stored that needs no durability (the live detector's
  // classification), so that the writer thread does not do it. Its result
  // is on_events_stored's `prepared`. Empty: `prepared` is null.
  std::function<std::shared_ptr<void>(const AgentIdentity&, EventRange)> prepare_stored;
  // Borrowed; must outlive the grpc::Server. Null: no sweeps (answers are
  // ignored).
  SweepCoordinator* sweeps = nullptr;
  // Maps gRPC's peer string to the agent's address (logs, the stored peer);
  // empty: gRPC's is used. For connections relayed by TlsTerminator ("fd:N").
  std::function<std::string(const std::string& grpc_peer)> peer_of;
};

class CollectorService final : public cleansweep::v1::Collector::CallbackService {
 public:
  CollectorService(EventStore* store, CollectorServiceOptions options);

  grpc::ServerBidiReactor<cleansweep::v1::AgentMessage, cleansweep::v1::CollectorMessage>*
  Connect(grpc::CallbackServerContext* context) override;

  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* context,
                                   const cleansweep::v1::EnrollRequest* request,
                                   cleansweep::v1::EnrollResponse* response) override;

 private:
  std::string PeerOf(const grpc::CallbackServerContext& context) const;

  EventStore* const store_;
  const CollectorServiceOptions options_;
  AgentEnrollment enrollment_;
  std::unique_ptr<CaptureConfigBroadcast> own_broadcast_;  // when none was given
  CaptureConfigBroadcast* const broadcast_;
  // Event batches of every stream, stored with one commit per group. Declared
  // last: destroyed (stopped) first, after the server has finished every call.
  BatchWriter writer_{store_, BatchWriterOptions{.on_stored = options_.on_events_stored}};
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_
