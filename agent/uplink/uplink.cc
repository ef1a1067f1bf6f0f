#include "agent/uplink/uplink.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "agent/hostinfo/host_facts.h"
#include "agent/uplink/collector_channel.h"
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

std::vector<std::string> Addresses(const UplinkOptions& o) {
  if (!o.collector_addresses.empty()) return o.collector_addresses;
  if (!o.collector_address.empty()) return {o.collector_address};
  return {};
}

std::string RateText(double rate) {
  return rate > 0 ? absl::StrFormat("at <= %.0f events/s", rate) : "without a rate limit";
}

}  // namespace

Uplink::Uplink(UplinkOptions options,
               std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
               std::function<void(const cleansweep::v1::CaptureConfig&)> on_config)
    : Uplink(std::move(options), std::move(heartbeat_provider), std::move(on_config), nullptr) {}

Uplink::Uplink(UplinkOptions options,
               std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
               std::function<void(const cleansweep::v1::CaptureConfig&)> on_config,
               std::unique_ptr<OutboundQueue> queue)
    : options_(std::move(options)),
      addresses_(Addresses(options_)),
      heartbeat_provider_(std::move(heartbeat_provider)),
      on_config_(std::move(on_config)),
      queue_(queue != nullptr ? std::move(queue) : std::make_unique<InMemoryOutboundQueue>()) {}

size_t Uplink::BatchLimit() const {
  return bucket_ != nullptr ? static_cast<size_t>(bucket_->capacity()) : options_.max_batch_events;
}

OutboundQueueStats Uplink::queue_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_->stats();
}

Uplink::~Uplink() { Stop(); }

absl::Status Uplink::Start() {
  if (started_) return absl::FailedPreconditionError("uplink already started");
  if (addresses_.empty()) return absl::InvalidArgumentError("no collector address (HOST:PORT)");
  for (const std::string& a : addresses_) {
    if (a.empty()) return absl::InvalidArgumentError("empty collector address (want HOST:PORT)");
  }
  if (!options_.credential_provider) {
    if (options_.agent_id.empty()) return absl::InvalidArgumentError("no agent id");
    if (options_.token.empty()) return absl::InvalidArgumentError("no node key");
  }
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
  if (!(options_.max_events_per_second >= 0) || std::isinf(options_.max_events_per_second)) {
    return absl::InvalidArgumentError("max_events_per_second must be >= 0 (0 = unlimited)");
  }
  if (options_.host_facts_provider && options_.host_facts_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("host_facts_interval must be positive");
  }
  if (options_.max_events_per_second > 0) {
    // Burst at most one batch, and at most one second's worth: a slow rate
    // then means small batches at an even pace, not a big batch now and
    // then.
    const double per_second = std::max(1.0, std::floor(options_.max_events_per_second));
    const uint64_t capacity =
        std::min<uint64_t>(options_.max_batch_events, static_cast<uint64_t>(per_second));
    bucket_ = std::make_unique<TokenBucket>(options_.max_events_per_second, capacity, absl::Now());
  }
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Uplink::MakeChannel(const std::string& address) const {
  CollectorChannelOptions channel;
  channel.address = address;
  channel.ca_pem = options_.ca_pem;
  channel.insecure = options_.insecure;
  channel.server_name_override = options_.server_name_override;
  return MakeCollectorChannel(channel);
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

void Uplink::SendSweepResult(cleansweep::v1::SweepResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sweep_results_.size() >= kMaxPendingSweepResults) {
    LOG_WARNING("sweep answer %s dropped: %d answers already wait for the collector",
                sweep_results_.front().sweep_id(), sweep_results_.size());
    sweep_results_.pop_front();
  }
  sweep_results_.push_back(std::move(result));
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
          absl::StrJoin(addresses_, " or "), " (acknowledged through sequence ", acked_.load(),
          ")",
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

absl::Status Uplink::ClassifyError(const absl::Status& status,
                                   const std::string& address) const {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
      return absl::Status(status.code(),
                          absl::StrCat("the collector at ", address, " refused this agent: ",
                                       status.message()));
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
      return absl::Status(status.code(),
                          absl::StrCat("the collector at ", address,
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
        "TLS handshake with the collector at ", address,
        " failed: its certificate is not signed by the given CA or does not name this host (",
        status.message(), ")"));
  }
  return absl::OkStatus();
}

void Uplink::Run() {
  std::mt19937_64 rng(std::random_device{}());
  absl::Duration backoff = kInitialBackoff;
  size_t index = 0;  // into addresses_
  while (true) {
    bool established = false;
    const std::string& address = addresses_[index];
    absl::Status status = RunStream(address, &established);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) break;
    last_error_ = status.ok() ? absl::UnavailableError("the collector closed the stream") : status;
    // Sticky until a stream works again, so WaitAllAcked sees it even if a
    // later attempt fails for another reason.
    absl::Status config_error = ClassifyError(status, address);
    if (!config_error.ok()) config_error_ = config_error;
    if (established) backoff = kInitialBackoff;
    // The next address: this one just failed (or its stream ended). The
    // backoff grows once per full round, below.
    index = (index + 1) % addresses_.size();
    const bool round_done = index == 0;
    // Full jitter: uniform over [0, backoff], so a fleet coming back after an
    // outage spreads out instead of reconnecting in step (a small floor keeps
    // a refusing collector from being hammered).
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    absl::Duration wait = absl::Trunc(
        std::max(absl::Milliseconds(50), backoff * jitter(rng)), absl::Milliseconds(1));
    if (!config_error.ok()) {
      LOG_ERROR("%s; retrying in %s", config_error.message(), absl::FormatDuration(wait));
    } else {
      LOG_WARNING("collector stream to %s ended: %s; reconnecting%s in %s", address,
                  last_error_.ToString(),
                  addresses_.size() > 1 ? absl::StrCat(" to ", addresses_[index]) : "",
                  absl::FormatDuration(wait));
    }
    cv_.notify_all();  // wake WaitAllAcked so it can report a configuration error
    cv_.wait_until(lock, ToChrono(absl::Now() + wait), [this] { return stopping_; });
    if (stopping_) break;
    if (round_done) backoff = std::min(backoff * 2, kMaxBackoff);
  }
  std::lock_guard<std::mutex> lock(mu_);
  run_done_ = true;
  cv_.notify_all();
}

absl::Status Uplink::RunStream(const std::string& address, bool* established) {
  UplinkCredential credential{options_.agent_id, options_.token};
  if (options_.credential_provider) {
    absl::StatusOr<UplinkCredential> provided = options_.credential_provider();
    if (!provided.ok()) return provided.status();
    credential = *std::move(provided);
  }
  auto stub = cleansweep::v1::Collector::NewStub(MakeChannel(address));
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", credential.token));
  AgentMessage hello;
  // The facts last sent on this stream: a change report goes out only when
  // the host differs from them.
  std::optional<cleansweep::v1::HostFacts> facts_sent;
  if (options_.host_facts_provider) {
    facts_sent = options_.host_facts_provider();
    *hello.mutable_hello()->mutable_host() = *facts_sent;
  }
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
  hello.mutable_hello()->set_agent_id(credential.agent_id);
  hello.mutable_hello()->set_hostname(
      !options_.hostname.empty() || !facts_sent.has_value() ? options_.hostname
                                                            : facts_sent->hostname());
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
      } else if (message.has_sweep()) {
        if (options_.on_sweep_request) options_.on_sweep_request(message.sweep());
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    reader_done_ = true;
    cv_.notify_all();
  });

  bool write_ok = stream->Write(hello);
  // The first heartbeat goes out as soon as the collector answers Hello: a
  // restarted agent's coverage resumes at once, not one interval later (the
  // gap shown for a stop is the stop).
  absl::Time next_heartbeat = absl::Now();
  absl::Time next_facts = options_.host_facts_provider
                              ? absl::Now() + options_.host_facts_interval
                              : absl::InfiniteFuture();
  bool closing = false;
  bool announced = false;  // logged that the stream is live, and the backlog
  // A backlog being drained: sent when sent_through_ reaches drain_until.
  bool draining = false;
  uint64_t drain_until = 0, drain_events = 0;
  absl::Time drain_start;
  const size_t batch_limit = BatchLimit();
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (write_ok) {
      if (reader_done_) break;
      if (stopping_) {
        closing = true;
        break;
      }
      absl::Time now = absl::Now();
      if (stream_live_ && !announced) {
        announced = true;
        // Counted once per stream (a COUNT on the spool), not per batch.
        const size_t backlog =
            queue_->CountAfter(sent_through_, std::numeric_limits<int64_t>::max());
        LOG_INFO("connected to the collector at %s%s", address,
                 addresses_.size() > 1 ? absl::StrCat(" (one of ", addresses_.size(),
                                                      " configured addresses)")
                                       : "");
        if (backlog > batch_limit) {
          draining = true;
          drain_until = queue_->last_sequence();
          drain_events = backlog;
          drain_start = now;
          LOG_INFO("draining %d spooled events %s", backlog,
                   RateText(options_.max_events_per_second));
        }
      }
      if (draining && sent_through_ >= drain_until) {
        draining = false;
        const double seconds = std::max(1e-6, absl::ToDoubleSeconds(now - drain_start));
        LOG_INFO("backlog of %d events drained in %.1f s (%.0f events/s)", drain_events,
                 seconds, static_cast<double>(drain_events) / seconds);
      }
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
      if (stream_live_ && !sweep_results_.empty()) {
        AgentMessage m;
        *m.mutable_sweep_result() = sweep_results_.front();
        lock.unlock();
        write_ok = stream->Write(m);
        lock.lock();
        // Kept for the next stream when the write failed.
        if (write_ok && !sweep_results_.empty() &&
            sweep_results_.front().sweep_id() == m.sweep_result().sweep_id()) {
          sweep_results_.pop_front();
          LOG_INFO("sweep %s answered", m.sweep_result().sweep_id());
        }
        continue;
      }
      if (now >= next_heartbeat && stream_live_) {
        lock.unlock();
        AgentMessage hb;
        *hb.mutable_heartbeat() = MakeHeartbeat();
        write_ok = stream->Write(hb);
        lock.lock();
        next_heartbeat = absl::Now() + options_.heartbeat_interval;
        continue;
      }
      if (now >= next_facts && stream_live_) {
        lock.unlock();
        cleansweep::v1::HostFacts facts = options_.host_facts_provider();
        if (!facts_sent.has_value() || !SameHostFacts(facts, *facts_sent)) {
          AgentMessage m;
          *m.mutable_host() = facts;
          write_ok = stream->Write(m);
          if (write_ok) {
            LOG_INFO("host facts changed; reported to the collector");
            facts_sent = std::move(facts);
          }
        }
        lock.lock();
        next_facts = absl::Now() + options_.host_facts_interval;
        continue;
      }
      size_t unsent = queue_->CountAfter(sent_through_, batch_limit);
      // Batches wait for the collector's answer to Hello: its ack says what
      // it already holds, so a reconnecting agent does not resend that.
      bool batch_due = stream_live_ && unsent > 0 &&
                       (unsent >= batch_limit || waiters_ > 0 ||
                        now >= oldest_unsent_ + options_.max_batch_delay);
      // With a drain rate, a due batch also waits until the bucket holds
      // enough tokens for all of it (at most one second's worth).
      absl::Time tokens_at = now;
      if (batch_due && bucket_ != nullptr) tokens_at = bucket_->ReadyAt(unsent, now);
      if (batch_due && tokens_at <= now) {
        AgentMessage batch;
        uint64_t last = queue_->CopyAfter(sent_through_, unsent,
                                          batch.mutable_events()->mutable_events());
        if (bucket_ != nullptr) bucket_->Take(batch.events().events_size());
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
      absl::Time wake = std::min(next_heartbeat, next_facts);
      if (batch_due) {
        wake = std::min(wake, tokens_at);
      } else if (unsent > 0 && stream_live_) {
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
