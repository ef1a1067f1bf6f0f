#include "agent/uplink/uplink.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "common/logging.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(250);
constexpr absl::Duration kMaxBackoff = absl::Seconds(60);
// How long Stop() lets the collector flush its last acks before cancelling.
constexpr absl::Duration kCloseGrace = absl::Seconds(5);

std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  return absl::ToChronoTime(std::min(t, absl::Now() + absl::Hours(24 * 365)));
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

Uplink::Uplink(UplinkOptions options,
               std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
               std::function<void(const cleansweep::v1::CaptureConfig&)> on_config)
    : options_(std::move(options)),
      heartbeat_provider_(std::move(heartbeat_provider)),
      on_config_(std::move(on_config)),
      queue_(std::make_unique<InMemoryOutboundQueue>()) {}

Uplink::Uplink(UplinkOptions options,
               std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
               std::function<void(const cleansweep::v1::CaptureConfig&)> on_config,
               std::unique_ptr<OutboundQueue> queue)
    : options_(std::move(options)),
      heartbeat_provider_(std::move(heartbeat_provider)),
      on_config_(std::move(on_config)),
      queue_(queue != nullptr ? std::move(queue) : std::make_unique<InMemoryOutboundQueue>()) {}

OutboundQueueStats Uplink::queue_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_->stats();
}

Uplink::~Uplink() { Stop(); }

absl::Status Uplink::Start() {
  if (started_) return absl::FailedPreconditionError("uplink already started");
  if (options_.collector_address.empty()) {
    return absl::InvalidArgumentError("no collector address (HOST:PORT)");
  }
  if (options_.agent_id.empty()) return absl::InvalidArgumentError("no agent id");
  if (options_.token.empty()) return absl::InvalidArgumentError("no collector token");
  if (!options_.insecure && options_.ca_pem.empty()) {
    return absl::InvalidArgumentError(
        "no CA certificate for the collector's TLS (give the CA file, or insecure for tests)");
  }
  if (options_.max_batch_events == 0 || options_.max_batch_events > 10000) {
    return absl::InvalidArgumentError("max_batch_events must be 1..10000");
  }
  if (options_.first_sequence == 0) return absl::InvalidArgumentError("first_sequence must be >= 1");
  if (options_.heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("heartbeat_interval must be positive");
  }
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Uplink::MakeChannel() const {
  grpc::ChannelArguments args;
  if (!options_.server_name_override.empty()) {
    args.SetSslTargetNameOverride(options_.server_name_override);
  }
  // A fresh channel with its own subchannel for every attempt: gRPC's shared
  // subchannel keeps its own reconnect backoff (growing to minutes) across
  // channels, which would delay reconnecting to a restarted collector long
  // after it is back. The uplink's jittered backoff is the only one.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // A collector that vanishes without closing TCP (host down, NAT timeout)
  // is noticed within keepalive time + timeout, and the uplink reconnects.
  // The collector permits pings at this rate (collector/cli/commands.cc).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.ca_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(options_.collector_address, credentials, args);
}

void Uplink::Enqueue(cleansweep::v1::Event event) {
  std::lock_guard<std::mutex> lock(mu_);
  // InfiniteFuture while nothing is waiting to be sent, so this records when
  // the oldest unsent event arrived (the batching delay runs from there).
  ++enqueued_;
  if (event.sequence() <= acked_.load()) {
    // Already covered by an acknowledgement (a resend of something stored);
    // queueing it would wait for an ack that never comes.
    return;
  }
  oldest_unsent_ = std::min(oldest_unsent_, absl::Now());
  if (event.sequence() <= sent_through_ && event.sequence() > acked_.load()) {
    // Arrived after higher sequences were already sent on this stream: step
    // back so it goes out too.
    sent_through_ = event.sequence() - 1;
  }
  queue_->Push(std::move(event));
  cv_.notify_all();
}

absl::Status Uplink::WaitAllAcked(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  cv_.notify_all();
  absl::Status result;
  while (true) {
    if (queue_->size() == 0 && queue_->lost_ranges().empty()) break;
    if (!config_error_.ok()) {
      result = config_error_;
      break;
    }
    if (!started_ || run_done_) {
      result = absl::FailedPreconditionError("uplink is not running");
      break;
    }
    if (absl::Now() >= deadline) {
      result = absl::DeadlineExceededError(absl::StrCat(
          queue_->size(), " of ", enqueued_, " events not acknowledged by the collector at ",
          options_.collector_address, " (acknowledged through sequence ", acked_.load(), ")",
          last_error_.ok() ? "" : absl::StrCat("; last error: ", last_error_.ToString())));
      break;
    }
    cv_.wait_until(lock, ToChrono(deadline));
  }
  --waiters_;
  return result;
}

void Uplink::Stop() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_ || stopping_) return;
  stopping_ = true;
  cv_.notify_all();
  // A stream write can block on flow control if the collector stalls; cancel
  // the call if the connection thread has not finished after the grace period.
  if (!cv_.wait_until(lock, ToChrono(absl::Now() + kCloseGrace + absl::Seconds(1)),
                      [this] { return run_done_; })) {
    if (current_context_ != nullptr) current_context_->TryCancel();
  }
  lock.unlock();
  thread_.join();
}

cleansweep::v1::Heartbeat Uplink::MakeHeartbeat() {
  cleansweep::v1::Heartbeat hb = heartbeat_provider_ ? heartbeat_provider_()
                                                     : cleansweep::v1::Heartbeat();
  if (!hb.has_time()) {
    absl::Time now = absl::Now();
    hb.mutable_time()->set_seconds(absl::ToUnixSeconds(now));
    hb.mutable_time()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
  }
  if (hb.spool_events() == 0 && hb.spool_bytes() == 0 && hb.lost_events() == 0) {
    const OutboundQueueStats q = queue_stats();
    hb.set_spool_events(q.events);
    hb.set_spool_bytes(q.bytes);
    hb.set_lost_events(q.lost_events);
    if (q.oldest_time_us != 0) {
      const absl::Time oldest = absl::FromUnixMicros(q.oldest_time_us);
      const int64_t seconds = absl::ToUnixSeconds(oldest);  // floors, also before 1970
      hb.mutable_spool_oldest()->set_seconds(seconds);
      hb.mutable_spool_oldest()->set_nanos(static_cast<int32_t>(
          absl::ToInt64Nanoseconds(oldest - absl::FromUnixSeconds(seconds))));
    }
  }
  if (hb.interval_seconds() == 0) {
    hb.set_interval_seconds(
        static_cast<uint32_t>(absl::ToInt64Seconds(options_.heartbeat_interval)));
  }
  return hb;
}

absl::Status Uplink::ClassifyError(const absl::Status& status) const {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return absl::UnauthenticatedError(absl::StrCat(
          "the collector at ", options_.collector_address,
          " refused this agent's token (", status.message(), "); check the token file"));
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
      return absl::Status(status.code(),
                          absl::StrCat("the collector at ", options_.collector_address,
                                       " rejected the stream: ", status.message()));
    default:
      break;
  }
  // A certificate the CA does not verify surfaces as UNAVAILABLE; only its
  // text tells it apart from a collector that is down.
  std::string lower = absl::AsciiStrToLower(status.message());
  if (absl::StrContains(lower, "certificate_verify_failed") ||
      absl::StrContains(lower, "handshake failed") ||
      absl::StrContains(lower, "peer name") ||
      absl::StrContains(lower, "certificate verify failed")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS handshake with the collector at ", options_.collector_address,
        " failed: its certificate is not signed by the given CA or does not name this host (",
        status.message(), ")"));
  }
  return absl::OkStatus();
}

void Uplink::Run() {
  std::mt19937_64 rng(std::random_device{}());
  absl::Duration backoff = kInitialBackoff;
  while (true) {
    bool established = false;
    absl::Status status = RunStream(&established);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) break;
    last_error_ = status.ok() ? absl::UnavailableError("the collector closed the stream") : status;
    // Sticky until a stream works again, so WaitAllAcked sees it even if a
    // later attempt fails for another reason.
    absl::Status config_error = ClassifyError(status);
    if (!config_error.ok()) config_error_ = config_error;
    if (established) backoff = kInitialBackoff;
    // Full jitter: uniform over [0, backoff], so a fleet coming back after an
    // outage spreads out instead of reconnecting in step (a small floor keeps
    // a refusing collector from being hammered).
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    absl::Duration wait = absl::Trunc(
        std::max(absl::Milliseconds(50), backoff * jitter(rng)), absl::Milliseconds(1));
    if (!config_error.ok()) {
      LOG_ERROR("%s; retrying in %s", config_error.message(), absl::FormatDuration(wait));
    } else {
      LOG_WARNING("collector stream to %s ended: %s; reconnecting in %s",
                  options_.collector_address, last_error_.ToString(),
                  absl::FormatDuration(wait));
    }
    cv_.notify_all();  // wake WaitAllAcked so it can report a configuration error
    cv_.wait_until(lock, ToChrono(absl::Now() + wait), [this] { return stopping_; });
    if (stopping_) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  std::lock_guard<std::mutex> lock(mu_);
  run_done_ = true;
  cv_.notify_all();
}

absl::Status Uplink::RunStream(bool* established) {
  auto stub = cleansweep::v1::Collector::NewStub(MakeChannel());
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  AgentMessage hello;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    current_context_ = &context;
    reader_done_ = false;
    stream_live_ = false;
    // Everything not yet acknowledged is (re)sent on this stream.
    sent_through_ = acked_.load();
    lost_sent_ = LostRange();
    oldest_unsent_ = queue_->CountAfter(sent_through_, 1) > 0 ? absl::Now() : absl::InfiniteFuture();
    const uint64_t last = std::max(queue_->last_sequence(), options_.first_sequence - 1);
    hello.mutable_hello()->set_last_sequence(last);
    // Everything below this is acknowledged or gone (see UplinkOptions).
    // Ranges the queue dropped count as held: each is reported with its
    // reason and count by a LostEvents record right after Hello.
    uint64_t oldest = queue_->size() > 0 ? queue_->first_sequence() : last + 1;
    for (const LostRange& r : queue_->lost_ranges()) oldest = std::min(oldest, r.first);
    hello.mutable_hello()->set_oldest_sequence(oldest);
  }
  hello.mutable_hello()->set_agent_id(options_.agent_id);
  hello.mutable_hello()->set_hostname(options_.hostname);
  hello.mutable_hello()->set_version(options_.version);

  std::unique_ptr<grpc::ClientReaderWriter<AgentMessage, CollectorMessage>> stream =
      stub->Connect(&context);

  std::thread reader([this, &stream] {
    CollectorMessage message;
    while (stream->Read(&message)) {
      if (message.has_ack()) {
        std::lock_guard<std::mutex> lock(mu_);
        uint64_t seq = message.ack().sequence();
        if (seq > acked_.load()) acked_.store(seq);
        queue_->AckThrough(seq);
        // The collector may already hold more than this stream sent (an
        // earlier stream's events): never resend what it acknowledged.
        sent_through_ = std::max(sent_through_, seq);
        if (!stream_live_) {
          stream_live_ = true;
          config_error_ = absl::OkStatus();
          last_error_ = absl::OkStatus();
        }
        cv_.notify_all();
      } else if (message.has_config()) {
        if (on_config_) on_config_(message.config());
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    reader_done_ = true;
    cv_.notify_all();
  });

  bool write_ok = stream->Write(hello);
  absl::Time next_heartbeat = absl::Now() + options_.heartbeat_interval;
  bool closing = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (write_ok) {
      if (reader_done_) break;
      if (stopping_) {
        closing = true;
        break;
      }
      absl::Time now = absl::Now();
      if (stream_live_) {
        // Lost ranges first: the collector then acknowledges past them.
        const LostRange* pending = nullptr;
        const std::vector<LostRange> lost = queue_->lost_ranges();
        for (const LostRange& r : lost) {
          if (r.last > acked_.load() && (r.first > lost_sent_.first ||
                                         (r.first == lost_sent_.first && !(r == lost_sent_)))) {
            pending = &r;
            break;
          }
        }
        if (pending != nullptr) {
          AgentMessage m;
          m.mutable_lost()->set_first_sequence(pending->first);
          m.mutable_lost()->set_last_sequence(pending->last);
          m.mutable_lost()->set_count(pending->count);
          m.mutable_lost()->set_reason(pending->reason);
          const LostRange sending = *pending;
          lock.unlock();
          write_ok = stream->Write(m);
          lock.lock();
          if (write_ok) lost_sent_ = sending;
          continue;
        }
      }
      size_t unsent = queue_->CountAfter(sent_through_, options_.max_batch_events);
      // Batches wait for the collector's answer to Hello: its ack says what
      // it already holds, so a reconnecting agent does not resend that.
      bool batch_due = stream_live_ && unsent > 0 &&
                       (unsent >= options_.max_batch_events || waiters_ > 0 ||
                        now >= oldest_unsent_ + options_.max_batch_delay);
      if (now >= next_heartbeat && stream_live_) {
        lock.unlock();
        AgentMessage hb;
        *hb.mutable_heartbeat() = MakeHeartbeat();
        write_ok = stream->Write(hb);
        lock.lock();
        next_heartbeat = absl::Now() + options_.heartbeat_interval;
        continue;
      }
      if (batch_due) {
        AgentMessage batch;
        uint64_t last = queue_->CopyAfter(sent_through_, options_.max_batch_events,
                                          batch.mutable_events()->mutable_events());
        lock.unlock();
        write_ok = stream->Write(batch);
        lock.lock();
        if (write_ok) {
          sent_through_ = std::max(sent_through_, last);
          oldest_unsent_ = queue_->CountAfter(sent_through_, 1) > 0 ? absl::Now()
                                                                     : absl::InfiniteFuture();
        }
        continue;
      }
      absl::Time wake = next_heartbeat;
      if (unsent > 0 && stream_live_) {
        wake = std::min(wake, oldest_unsent_ + options_.max_batch_delay);
      }
      cv_.wait_until(lock, ToChrono(wake));
    }
  }

  if (closing && write_ok) {
    bool live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      live = stream_live_;
    }
    if (live) {
      AgentMessage hb;
      *hb.mutable_heartbeat() = MakeHeartbeat();
      stream->Write(hb);
    }
    stream->WritesDone();
    // Let the collector flush its last acks and close the stream itself.
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_until(lock, ToChrono(absl::Now() + kCloseGrace),
                        [this] { return reader_done_; })) {
      context.TryCancel();
    }
  }
  // A failed Write means the call is over; the reader's Read fails too, and
  // Finish() then reports the collector's real status (not cancelling here
  // keeps e.g. UNAUTHENTICATED from turning into CANCELLED).
  reader.join();
  grpc::Status status = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_context_ = nullptr;
    *established = stream_live_;
  }
  return FromGrpc(status);
}

}  // namespace cleansweep::agent
