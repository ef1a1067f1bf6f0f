#include "collector/service/collector_service.h"

#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "collector/service/agent_stream_handler.h"
#include "collector/service/grpc_status.h"
#include "common/logging.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

std::string AuthorizationOf(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// One agent stream. Deletes itself in OnDone.
class AgentStreamReactor final : public grpc::ServerBidiReactor<AgentMessage, CollectorMessage> {
 public:
  AgentStreamReactor(grpc::CallbackServerContext* context, EventStore* store,
                     const CollectorServiceOptions& options,
                     const TokenAuthenticator& authenticator)
      : handler_(store, &options.capture_config, context->peer()) {
    absl::Status auth = authenticator.Check(AuthorizationOf(*context));
    if (!auth.ok()) {
      LOG_WARNING("refused stream from %s: %s", handler_.peer(), auth.message());
      std::lock_guard<std::mutex> lock(mu_);
      RequestFinishLocked(ToGrpcStatus(auth));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The agent half-closed or the call ended: flush queued acks, then finish.
      std::lock_guard<std::mutex> lock(mu_);
      RequestFinishLocked(grpc::Status::OK);
      return;
    }
    // Only one read is ever outstanding, so the handler is used by one thread
    // at a time and needs no lock of its own.
    std::vector<CollectorMessage> replies;
    absl::Status handled = handler_.Handle(request_, &replies);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : replies) outbox_.push_back(std::move(r));
    StartNextWriteLocked();
    if (!handled.ok()) {
      LOG_WARNING("closing stream of agent '%s' from %s: %s", handler_.agent_id(),
                  handler_.peer(), handled.ToString());
      RequestFinishLocked(ToGrpcStatus(handled));
      return;
    }
    StartRead(&request_);  // the next message only after this one is stored
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    outbox_.pop_front();
    if (!ok) {
      // The stream is broken; nothing queued can be delivered any more.
      outbox_.clear();
      RequestFinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    StartNextWriteLocked();
    MaybeFinishLocked();
  }

  void OnDone() override {
    if (!handler_.agent_id().empty()) {
      LOG_INFO("agent %s from %s disconnected after %d events", handler_.agent_id(),
               handler_.peer(), handler_.events_received());
    }
    delete this;
  }

 private:
  void StartNextWriteLocked() {
    if (writing_ || outbox_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&outbox_.front());
  }

  // Finish is called once, after the last queued write completed.
  void RequestFinishLocked(grpc::Status status) {
    if (!finish_requested_) {
      finish_requested_ = true;
      finish_status_ = std::move(status);
    }
    MaybeFinishLocked();
  }

  void MaybeFinishLocked() {
    if (!finish_requested_ || finished_ || writing_ || !outbox_.empty()) return;
    finished_ = true;
    Finish(finish_status_);
  }

  AgentStreamHandler handler_;
  AgentMessage request_;
  std::mutex mu_;
  std::deque<CollectorMessage> outbox_;  // front() is in flight while writing_
  bool writing_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  grpc::Status finish_status_;
};

}  // namespace

CollectorService::CollectorService(EventStore* store, CollectorServiceOptions options)
    : store_(store), options_(std::move(options)), authenticator_(options_.token) {}

grpc::ServerBidiReactor<AgentMessage, CollectorMessage>* CollectorService::Connect(
    grpc::CallbackServerContext* context) {
  return new AgentStreamReactor(context, store_, options_, authenticator_);
}

}  // namespace cleansweep::collector
