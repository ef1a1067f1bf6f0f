#include "collector/service/collector_service.h"

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "collector/service/agent_stream_handler.h"
#include "collector/service/batch_writer.h"
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
                     AgentEnrollment* enrollment, CaptureConfigBroadcast* broadcast,
                     BatchWriter* writer = nullptr, SweepCoordinator* sweeps = nullptr)
      : handler_(store, &hello_config_, context->peer()),
        writer_(writer),
        broadcast_(broadcast),
        sweeps_(sweeps) {
    absl::StatusOr<std::string> agent_id = enrollment->Authenticate(AuthorizationOf(*context));
    if (!agent_id.ok()) {
      LOG_WARNING("refused stream from %s: %s", handler_.peer(), agent_id.status().message());
      std::lock_guard<std::mutex> lock(mu_);
      RequestFinishLocked(ToGrpcStatus(agent_id.status()));
      return;
    }
    const std::string id = *agent_id;
    handler_.BindAuthenticatedAgent(id, [enrollment, id] { return enrollment->CheckNotRevoked(id); });
    // Subscribed before the first read: the Hello reply carries this
    // configuration, and any published after this instant reaches
    // OnConfigPublished, so the agent cannot miss one.
    CaptureConfigBroadcast::Subscription subscription = broadcast_->Subscribe(
        [this](const cleansweep::v1::CaptureConfig& c) { OnConfigPublished(c); });
    subscription_id_ = subscription.id;
    hello_config_ = std::move(subscription.current);
    if (sweeps_ != nullptr) {
      handler_.SetSweepCoordinator(sweeps_);
      // Pending sweeps are delivered during this call (queued until the
      // Hello reply), later ones when they start.
      sweep_subscription_ = sweeps_->Subscribe(
          id, [this](const cleansweep::v1::SweepRequest& r) { OnSweepRequested(r); });
    }
    StartRead(&request_);
  }

  // Runs on the thread that starts a sweep, or in the constructor (under the
  // coordinator's lock: only queues).
  void OnSweepRequested(const cleansweep::v1::SweepRequest& request) {
    CollectorMessage message;
    *message.mutable_sweep() = request;
    std::lock_guard<std::mutex> lock(mu_);
    if (finish_requested_) return;
    if (!hello_replied_) {
      pending_sweeps_.push_back(std::move(message));
      return;
    }
    outbox_.push_back(std::move(message));
    StartNextWriteLocked();
  }

  // Runs on the publisher's thread (under the broadcast's lock: only queues).
  void OnConfigPublished(const cleansweep::v1::CaptureConfig& config) {
    CollectorMessage message;
    *message.mutable_config() = config;
    std::lock_guard<std::mutex> lock(mu_);
    if (finish_requested_) return;
    if (!hello_replied_) {
      // Sent right after the Hello reply: the protocol opens with that reply.
      pending_config_ = std::move(message);
      return;
    }
    outbox_.push_back(std::move(message));
    StartNextWriteLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The agent half-closed or the call ended: flush queued acks, then finish.
      std::lock_guard<std::mutex> lock(mu_);
      RequestFinishLocked(grpc::Status::OK);
      return;
    }
    if (writer_ != nullptr && request_.has_events() && !handler_.agent_id().empty() &&
        request_.events().events_size() <= kMaxEventsPerBatch) {
      StoreBatchInGroup();
      return;
    }
    // Only one read is ever outstanding, so the handler is used by one thread
    // at a time and needs no lock of its own.
    std::vector<CollectorMessage> replies;
    absl::Status handled = handler_.Handle(request_, &replies);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : replies) outbox_.push_back(std::move(r));
    if (!hello_replied_ && !handler_.agent_id().empty()) {
      hello_replied_ = true;
      // The reply holds its own copy and a second Hello is refused, so the
      // handler never reads this again: idle streams keep no copy (~4 KiB).
      cleansweep::v1::CaptureConfig().Swap(&hello_config_);
      if (pending_config_.has_value()) {
        outbox_.push_back(*std::move(pending_config_));
        pending_config_.reset();
      }
      for (auto& sweep : pending_sweeps_) outbox_.push_back(std::move(sweep));
      pending_sweeps_.clear();
    }
    StartNextWriteLocked();
    if (!handled.ok()) {
      if (handler_.agent_id().empty()) {
        // The Hello itself was refused (e.g. it claims another agent).
        LOG_WARNING("refused stream from %s: %s", handler_.peer(), handled.ToString());
      } else {
        LOG_WARNING("closing stream of agent '%s' from %s: %s", handler_.agent_id(),
                    handler_.peer(), handled.ToString());
      }
      RequestFinishLocked(ToGrpcStatus(handled));
      return;
    }
    StartRead(&request_);  // the next message only after this one is stored
  }

  // Hands the batch to the group-commit writer. The ack and the next read
  // follow its durable commit (done runs on the writer thread); until then
  // nothing more is read from this agent, so gRPC's flow control holds it back.
  void StoreBatchInGroup() {
    std::vector<cleansweep::v1::Event> events;
    events.reserve(static_cast<size_t>(request_.events().events_size()));
    for (auto& e : *request_.mutable_events()->mutable_events()) events.push_back(std::move(e));
    request_.Clear();
    const uint64_t count = events.size();
    {
      std::lock_guard<std::mutex> lock(mu_);
      storing_ = true;
    }
    writer_->Submit(handler_.identity(), std::move(events),
                    [this, count](absl::StatusOr<uint64_t> acked) {
                      std::lock_guard<std::mutex> lock(mu_);
                      storing_ = false;
                      if (finish_requested_) {  // a write failed meanwhile
                        MaybeFinishLocked();
                        return;
                      }
                      if (!acked.ok()) {
                        LOG_WARNING("closing stream of agent '%s' from %s: %s",
                                    handler_.agent_id(), handler_.peer(),
                                    acked.status().ToString());
                        RequestFinishLocked(ToGrpcStatus(acked.status()));
                        return;
                      }
                      events_stored_ += count;
                      CollectorMessage ack;
                      ack.mutable_ack()->set_sequence(*acked);
                      outbox_.push_back(std::move(ack));
                      StartNextWriteLocked();
                      StartRead(&request_);
                    });
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
    // Waits out a publication that may be running OnConfigPublished.
    if (subscription_id_ != 0) broadcast_->Unsubscribe(subscription_id_);
    if (sweep_subscription_ != 0) sweeps_->Unsubscribe(sweep_subscription_);
    if (!handler_.agent_id().empty()) {
      LOG_INFO("agent %s from %s disconnected after %d events", handler_.agent_id(),
               handler_.peer(), handler_.events_received() + events_stored_);
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
    // Not while a batch is with the writer: its completion still uses this.
    if (!finish_requested_ || finished_ || writing_ || !outbox_.empty() || storing_) return;
    finished_ = true;
    Finish(finish_status_);
  }

  // What the Hello reply carries: set before the first read, then only read
  // (by handler_, on the callback thread) until the Hello is answered.
  cleansweep::v1::CaptureConfig hello_config_;
  AgentStreamHandler handler_;
  BatchWriter* const writer_;  // group commit of event batches; null = store inline
  CaptureConfigBroadcast* const broadcast_;
  uint64_t subscription_id_ = 0;  // 0: not subscribed (refused stream)
  SweepCoordinator* const sweeps_;  // null: no sweeps
  uint64_t sweep_subscription_ = 0;  // 0: not subscribed
  AgentMessage request_;
  std::mutex mu_;
  std::deque<CollectorMessage> outbox_;  // front() is in flight while writing_
  bool writing_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  bool storing_ = false;         // a batch is with writer_
  bool hello_replied_ = false;   // the Hello reply is queued
  std::optional<CollectorMessage> pending_config_;  // published before that
  std::vector<CollectorMessage> pending_sweeps_;    // delivered before that
  uint64_t events_stored_ = 0;  // through writer_
  grpc::Status finish_status_;
};

}  // namespace

CollectorService::CollectorService(EventStore* store, CollectorServiceOptions options)
    : store_(store),
      options_(std::move(options)),
      enrollment_(store, options_.enroll_secrets),
      own_broadcast_(options_.capture_config_broadcast == nullptr
                         ? std::make_unique<CaptureConfigBroadcast>(options_.capture_config)
                         : nullptr),
      broadcast_(options_.capture_config_broadcast != nullptr ? options_.capture_config_broadcast
                                                              : own_broadcast_.get()) {}

grpc::ServerBidiReactor<AgentMessage, CollectorMessage>* CollectorService::Connect(
    grpc::CallbackServerContext* context) {
  return new AgentStreamReactor(context, store_, &enrollment_, broadcast_, &writer_,
                                options_.sweeps);
}

grpc::ServerUnaryReactor* CollectorService::Enroll(grpc::CallbackServerContext* context,
                                                   const cleansweep::v1::EnrollRequest* request,
                                                   cleansweep::v1::EnrollResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string peer = context->peer();
  absl::StatusOr<cleansweep::v1::EnrollResponse> enrolled = enrollment_.Enroll(*request, peer);
  if (!enrolled.ok()) {
    LOG_WARNING("refused enrollment of agent id '%s' from %s: %s",
                absl::CHexEscape(request->agent_id().substr(0, 128)), peer,
                enrolled.status().message());
    reactor->Finish(ToGrpcStatus(enrolled.status()));
    return reactor;
  }
  LOG_INFO("enrolled agent %s from %s", enrolled->agent_id(), peer);
  *response = *std::move(enrolled);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace cleansweep::collector
