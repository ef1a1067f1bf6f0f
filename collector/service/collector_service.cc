#include "collector/service/collector_service.h"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "collector/service/agent_stream_handler.h"
#include "collector/service/batch_writer.h"
#include "collector/service/grpc_status.h"
#include "collector/store/event_range.h"
#include "common/logging.h"
#include "google/protobuf/arena.h"

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

// Each event serialized (what the store keeps as its payload), in `arena`.
absl::Span<const absl::string_view> SerializeEach(EventRange events,
                                                  google::protobuf::Arena* arena) {
  // Arena arrays must be of trivial types: raw storage (arena allocations
  // are 8-byte aligned, as string_view needs), filled by placement new.
  static_assert(alignof(absl::string_view) <= 8);
  auto* views = reinterpret_cast<absl::string_view*>(google::protobuf::Arena::CreateArray<uint64_t>(
      arena, events.size() * sizeof(absl::string_view) / sizeof(uint64_t)));
  for (size_t i = 0; i < events.size(); ++i) {
    const size_t size = events[i].ByteSizeLong();
    auto* bytes = google::protobuf::Arena::CreateArray<uint8_t>(arena, size);
    events[i].SerializeWithCachedSizesToArray(bytes);
    new (&views[i]) absl::string_view(reinterpret_cast<const char*>(bytes), size);
  }
  return absl::MakeConstSpan(views, events.size());
}

// One agent stream. Deletes itself in OnDone.
class AgentStreamReactor final : public grpc::ServerBidiReactor<AgentMessage, CollectorMessage> {
 public:
  using Prepare = std::function<std::shared_ptr<void>(const AgentIdentity&, EventRange)>;

  AgentStreamReactor(grpc::CallbackServerContext* context, std::string peer, EventStore* store,
                     AgentEnrollment* enrollment, CaptureConfigBroadcast* broadcast,
                     BatchWriter* writer = nullptr, SweepCoordinator* sweeps = nullptr,
                     const Prepare* prepare = nullptr)
      : handler_(store, &hello_config_, std::move(peer)),
        writer_(writer),
        prepare_(prepare),
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
    std::lock_guard<std::mutex> lock(mu_);
    ReadNextLocked(/*expect_batch=*/false);
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
    std::vector<std::unique_ptr<google::protobuf::Arena>> stored;  // freed on return
    {
      std::lock_guard<std::mutex> lock(mu_);
      stored.swap(stored_arenas_);
      if (!ok) {
        // The agent half-closed or the call ended: flush queued acks (and
        // those of batches still with the writer), then finish.
        reading_ = false;
        RequestFinishLocked(grpc::Status::OK);
        return;
      }
      if (finish_requested_) {  // the call is ending: nothing more is taken
        reading_ = false;
        return;
      }
    }
    if (writer_ != nullptr && request_->has_events() && !handler_.agent_id().empty() &&
        request_->events().events_size() <= kMaxEventsPerBatch) {
      StoreBatchInGroup();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      reading_ = false;
      if (!arenas_in_writer_.empty()) {
        // A loss record or heartbeat must not overtake the batches before it
        // (a gap is judged against what is stored): handled once they are.
        message_waits_ = true;
        return;
      }
      handling_ = true;
    }
    HandleMessage();
  }

 private:
  // Handles request_ (anything but a batch for the writer) inline, then
  // reads the next message. Runs on a gRPC thread, or on the writer thread
  // after the batches before it were stored; never while any is stored.
  // handling_ is set by the caller and keeps the call from finishing (and
  // this from being deleted) meanwhile.
  void HandleMessage() {
    // No read is outstanding and no batch is with the writer, so the
    // handler is used by one thread at a time and needs no lock of its own.
    std::vector<CollectorMessage> replies;
    absl::Status handled = handler_.Handle(*request_, &replies);
    const bool was_batch = request_->has_events();
    std::lock_guard<std::mutex> lock(mu_);
    handling_ = false;
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
    if (finish_requested_) {  // e.g. a write failed meanwhile
      MaybeFinishLocked();
      return;
    }
    ReadNextLocked(was_batch);  // the next message only after this one is handled
  }

  // Starts reading the next message. A stream that just sent an event batch
  // probably sends another: it is parsed into an arena of its own (a few
  // block allocations per batch instead of several per event, all freed at
  // once) and stored from there. Other messages (Hello, heartbeats) go to the
  // heap message, so an idle stream holds no arena.
  void ReadNextLocked(bool expect_batch) {
    if (finish_requested_) return;
    if (expect_batch) {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 4096;
      options.max_block_size = 64 * 1024;
      reading_arena_ = std::make_unique<google::protobuf::Arena>(options);
      request_ = google::protobuf::Arena::CreateMessage<AgentMessage>(reading_arena_.get());
    } else {
      reading_arena_.reset();
      request_ = &heap_request_;
      heap_request_.Clear();
    }
    reading_ = true;
    StartRead(request_);
  }

  // Hands the batch to the group-commit writer where gRPC parsed it (no
  // copy). Its ack follows its durable commit (done runs on the writer
  // thread). Meanwhile the next message is read and parsed into another
  // arena, so that the next batch is ready when this commit ends; at most
  // kBatchesInWriter batches of a stream are with the writer, after which
  // nothing more is read from it and gRPC's flow control holds the agent back.
  void StoreBatchInGroup() {
    const EventRange events(request_->events().events());
    const uint64_t count = events.size();
    // Serialized here, in parallel with the writer, which only binds them.
    absl::Span<const absl::string_view> payloads;
    if (google::protobuf::Arena* arena = request_->GetArena(); arena != nullptr) {
      payloads = SerializeEach(events, arena);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      reading_ = false;
      // Null: the batch is in heap_request_ (the first after other messages),
      // which must not be read into again until it is stored.
      arenas_in_writer_.push_back(std::move(reading_arena_));
    }
    // The live detector's classification, here rather than on the writer.
    std::shared_ptr<void> prepared =
        prepare_ != nullptr && *prepare_ ? (*prepare_)(handler_.identity(), events) : nullptr;
    writer_->Submit(handler_.identity(), events, payloads, std::move(prepared),
                    [this, count](absl::StatusOr<uint64_t> acked) { OnBatchStored(count, acked); });
    std::lock_guard<std::mutex> lock(mu_);
    MaybeReadNextBatchLocked();
  }

  // Reads on while a batch is with the writer, if the limit allows.
  void MaybeReadNextBatchLocked() {
    if (reading_ || message_waits_ || finish_requested_ || arenas_in_writer_.empty() ||
        arenas_in_writer_.size() >= kBatchesInWriter || arenas_in_writer_.front() == nullptr) {
      return;
    }
    ReadNextLocked(/*expect_batch=*/true);
  }

  // The writer's completion of this stream's oldest batch (they complete in
  // the order they were submitted). Runs on the writer thread.
  void OnBatchStored(uint64_t count, const absl::StatusOr<uint64_t>& acked) {
    bool handle_message = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Freed by the next read's completion (a gRPC thread): freeing a
      // batch's blocks here would take the writer's time.
      if (arenas_in_writer_.front() != nullptr) {
        stored_arenas_.push_back(std::move(arenas_in_writer_.front()));
      }
      arenas_in_writer_.pop_front();
      if (!acked.ok()) {
        if (!finish_requested_) {
          LOG_WARNING("closing stream of agent '%s' from %s: %s", handler_.agent_id(),
                      handler_.peer(), acked.status().ToString());
        }
        RequestFinishLocked(ToGrpcStatus(acked.status()));
        return;
      }
      events_stored_ += count;
      if (!write_failed_) {
        // Also after the agent half-closed: it waits for these acks.
        CollectorMessage ack;
        ack.mutable_ack()->set_sequence(*acked);
        outbox_.push_back(std::move(ack));
        StartNextWriteLocked();
      }
      if (finish_requested_) {
        MaybeFinishLocked();
        return;
      }
      if (message_waits_ && arenas_in_writer_.empty()) {
        message_waits_ = false;
        handling_ = true;
        handle_message = true;
      } else if (!reading_) {
        if (arenas_in_writer_.empty()) {
          ReadNextLocked(/*expect_batch=*/true);
        } else {
          MaybeReadNextBatchLocked();
        }
      }
    }
    if (handle_message) HandleMessage();
  }

 public:
  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    outbox_.pop_front();
    if (!ok) {
      // The stream is broken; nothing queued can be delivered any more.
      write_failed_ = true;
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
    if (!finish_requested_ || finished_ || writing_ || !outbox_.empty() ||
        !arenas_in_writer_.empty() || handling_) {
      return;
    }
    finished_ = true;
    Finish(finish_status_);
  }

  // What the Hello reply carries: set before the first read, then only read
  // (by handler_, on the callback thread) until the Hello is answered.
  cleansweep::v1::CaptureConfig hello_config_;
  AgentStreamHandler handler_;
  BatchWriter* const writer_;  // group commit of event batches; null = store inline
  const Prepare* const prepare_;  // the service's prepare_stored (may be empty or null)
  CaptureConfigBroadcast* const broadcast_;
  uint64_t subscription_id_ = 0;  // 0: not subscribed (refused stream)
  SweepCoordinator* const sweeps_;  // null: no sweeps
  uint64_t sweep_subscription_ = 0;  // 0: not subscribed
  // Batches of one stream with the writer at most: one being stored, one
  // parsed and waiting for the next commit.
  static constexpr size_t kBatchesInWriter = 2;

  AgentMessage heap_request_;
  AgentMessage* request_ = &heap_request_;  // being read or handled
  std::mutex mu_;
  bool reading_ = false;  // a read is outstanding
  // The arena request_ is being read into (null: heap_request_).
  std::unique_ptr<google::protobuf::Arena> reading_arena_;
  // The arenas of the batches with the writer, oldest first (null: the batch
  // in heap_request_).
  std::deque<std::unique_ptr<google::protobuf::Arena>> arenas_in_writer_;
  // Arenas of stored batches, freed off the writer thread.
  std::vector<std::unique_ptr<google::protobuf::Arena>> stored_arenas_;
  bool message_waits_ = false;  // request_ is handled once the writer is done
  bool handling_ = false;       // HandleMessage is running
  bool write_failed_ = false;
  std::deque<CollectorMessage> outbox_;  // front() is in flight while writing_
  bool writing_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
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

std::string CollectorService::PeerOf(const grpc::CallbackServerContext& context) const {
  return options_.peer_of ? options_.peer_of(context.peer()) : context.peer();
}

grpc::ServerBidiReactor<AgentMessage, CollectorMessage>* CollectorService::Connect(
    grpc::CallbackServerContext* context) {
  return new AgentStreamReactor(context, PeerOf(*context), store_, &enrollment_, broadcast_,
                                &writer_, options_.sweeps, &options_.prepare_stored);
}

grpc::ServerUnaryReactor* CollectorService::Enroll(grpc::CallbackServerContext* context,
                                                   const cleansweep::v1::EnrollRequest* request,
                                                   cleansweep::v1::EnrollResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string peer = PeerOf(*context);
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
