// CollectorService: the gRPC edge of the collector (callback API). A thin
// adapter: it checks the bearer token in the call metadata, then hands every
// message to an AgentStreamHandler and writes back what the handler returns.
//
// Per stream:
//  - No or wrong "authorization: Bearer TOKEN" → UNAUTHENTICATED (logged with
//    the peer address), nothing is read.
//  - Flow control: the next message is read only after the previous one was
//    handled (a batch stored), so a fast agent is slowed by gRPC's window
//    instead of filling the collector's memory.
//  - Writes are serialized: one outstanding write, the rest queued in order.
//  - When the agent half-closes, queued replies are flushed, then the stream
//    finishes with OK; a handler error finishes it with that status.
// The service borrows the store; both must outlive the grpc::Server. The
// store is called from gRPC's callback threads (a SQLite commit per batch).
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_

#include <string>

#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "collector/service/token_authenticator.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct CollectorServiceOptions {
  std::string token;  // the static bearer token agents must present
  cleansweep::v1::CaptureConfig capture_config;
};

class CollectorService final : public cleansweep::v1::Collector::CallbackService {
 public:
  CollectorService(EventStore* store, CollectorServiceOptions options);

  grpc::ServerBidiReactor<cleansweep::v1::AgentMessage, cleansweep::v1::CollectorMessage>*
  Connect(grpc::CallbackServerContext* context) override;

 private:
  EventStore* const store_;
  const CollectorServiceOptions options_;
  const TokenAuthenticator authenticator_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_COLLECTOR_SERVICE_H_
