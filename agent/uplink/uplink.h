// Uplink: the agent's connection to the collector. Events are queued (in
// memory, or in the on-disk spool given to the constructor), batched, sent over one gRPC stream (Collector.Connect) and dropped
// only when the collector acknowledges them; after a disconnect the uplink
// reconnects with exponential backoff (jittered, capped at 60 s) and resends
// everything unacknowledged. Heartbeats go out every heartbeat_interval.
//
// Threads: Start() launches a connection thread (writes, batching, heartbeats,
// reconnects) and, per stream, a reader thread (acks, configuration).
// Enqueue/WaitAllAcked/acked_sequence are thread-safe; Start and Stop are
// called by the owner, once each. on_config is called on the reader thread.
//
// Errors: a wrong token or a collector certificate the CA does not verify is a
// configuration error. The uplink keeps retrying (an operator may fix the
// collector side), but WaitAllAcked returns that error at once instead of
// waiting for its deadline, so batch runs fail fast with a clear message.
//
// Lost ranges: every range the queue reports in lost_ranges() (events a full
// spool dropped) is sent as a LostEvents record after Hello on each stream
// until an acknowledgement covers it, so the collector records the gap and
// acknowledges past it.
//
// Events should be enqueued in increasing sequence order (sequence >= 1); a
// late, lower sequence is still delivered (what follows it is resent, and the
// collector ignores the duplicates).
//
// Several collector addresses: tried in turn; after a stream attempt fails
// (or an established stream ends) the next address is used. The backoff
// grows once per full round of addresses, so a standby collector is tried
// right after the first one fails.
//
// Drain rate: with max_events_per_second > 0 a token bucket (burst: one
// batch) limits the events written to the stream, and batches are cut to fit
// it, so a backlog after an outage reaches the collector at no more than that
// rate. The start and end of draining a backlog are logged.
//
// Sweeps: a SweepRequest from the collector is handed to on_sweep_request
// (on the reader thread: it must only queue the work). Answers given to
// SendSweepResult are written on the live stream, or on the next one if none
// is live or the write failed; the collector re-sends a request whose answer
// it never stored, so an answer lost with a broken stream is made again.
//
// Host facts: with a host_facts_provider, Hello carries the host's facts, and
// while a stream is live they are collected again every host_facts_interval
// and sent (AgentMessage.host) whenever they differ (SameHostFacts) from the
// last facts sent on that stream. The provider runs on the connection thread.
#ifndef CLEANSWEEP_AGENT_UPLINK_UPLINK_H_
#define CLEANSWEEP_AGENT_UPLINK_UPLINK_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/uplink/outbound_queue.h"
#include "agent/uplink/token_bucket.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "cleansweep/v1/event.pb.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace cleansweep::agent {

// Who the uplink connects as: the agent id and the node key sent as
// "authorization: Bearer TOKEN".
struct UplinkCredential {
  std::string agent_id;
  std::string token;
};

struct UplinkOptions {
  // HOST:PORT of each collector, tried in turn (see above).
  std::vector<std::string> collector_addresses;
  // Single-address shorthand, used only when collector_addresses is empty.
  std::string collector_address;
  std::string ca_pem;                 // PEM of the CA that signed the collector's certificate; empty + insecure=true → plaintext
  bool insecure = false;
  std::string server_name_override;   // optional TLS name override (tests)
  std::string token;
  std::string agent_id, hostname, version;
  size_t max_batch_events = 500;
  absl::Duration max_batch_delay = absl::Milliseconds(200);
  absl::Duration heartbeat_interval = absl::Seconds(30);
  // The first sequence this process will enqueue (the agent's persisted
  // counter + 1). Sequences below it that the collector never stored cannot
  // be sent any more; Hello.oldest_sequence tells the collector so, and it
  // records them as lost instead of waiting for them forever.
  uint64_t first_sequence = 1;
  // Events written to the stream per second at most; 0 = unlimited. Bursts
  // are at most one batch (max_batch_events, or one second's worth when the
  // rate is lower).
  double max_events_per_second = 0;
  // The host's facts for Hello and for change reports; null = none sent.
  // Called on the uplink thread; must be thread-safe.
  std::function<cleansweep::v1::HostFacts()> host_facts_provider;
  absl::Duration host_facts_interval = absl::Seconds(60);
  // When set, called (on the uplink thread) before every connection attempt;
  // its agent id and token replace agent_id and token. The agent loads its
  // node key here, or enrolls on first use. An error ends the attempt like a
  // failed connection: Unavailable and DeadlineExceeded are retried with
  // backoff; other codes are configuration errors (see WaitAllAcked).
  std::function<absl::StatusOr<UplinkCredential>()> credential_provider;
  // Called on the reader thread with each SweepRequest; must return quickly.
  // Null: requests are ignored (the collector keeps waiting for an answer).
  std::function<void(const cleansweep::v1::SweepRequest&)> on_sweep_request;
};

class Uplink {
 public:
  // heartbeat_provider is called from the uplink thread every interval and must be thread-safe.
  Uplink(UplinkOptions options, std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
         std::function<void(const cleansweep::v1::CaptureConfig&)> on_config);
  // Same, with the queue to use (e.g. the on-disk spool) instead of memory;
  // events it already holds are sent once the collector answers.
  Uplink(UplinkOptions options, std::function<cleansweep::v1::Heartbeat()> heartbeat_provider,
         std::function<void(const cleansweep::v1::CaptureConfig&)> on_config,
         std::unique_ptr<OutboundQueue> queue);
  ~Uplink();  // Stop()s if still running
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // Validates the options (InvalidArgument naming the problem) and starts the
  // background thread(s). Connecting happens in the background.
  absl::Status Start();
  // Thread-safe, never blocks the packet path for long; events already carry sequence.
  void Enqueue(cleansweep::v1::Event event);
  // Blocks until every enqueued event is acknowledged or the deadline passes;
  // returns DeadlineExceeded with counts otherwise, or the configuration error
  // (Unauthenticated, FailedPrecondition for TLS verification) as soon as one
  // is seen.
  absl::Status WaitAllAcked(absl::Time deadline);
  // Queues a sweep answer for the collector (see above). Thread-safe; at most
  // kMaxPendingSweepResults wait, the oldest is dropped beyond.
  void SendSweepResult(cleansweep::v1::SweepResult result);
  static constexpr size_t kMaxPendingSweepResults = 16;
  // Sends a final heartbeat if connected, closes the stream, joins.
  void Stop();
  uint64_t acked_sequence() const { return acked_.load(); }
  // What the queue holds now. Thread-safe.
  OutboundQueueStats queue_stats() const;

 private:
  void Run();
  // One stream to `address` from connect to close; returns its final status.
  absl::Status RunStream(const std::string& address, bool* established);
  // Whether `status` means the configuration is wrong (retrying cannot help
  // until someone changes it), and the error WaitAllAcked reports for it.
  absl::Status ClassifyError(const absl::Status& status, const std::string& address) const;
  cleansweep::v1::Heartbeat MakeHeartbeat();
  std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) const;
  // Events per batch: max_batch_events, or less to fit the drain rate's burst.
  size_t BatchLimit() const;

  const UplinkOptions options_;
  const std::vector<std::string> addresses_;  // collector_addresses, or {collector_address}
  std::unique_ptr<TokenBucket> bucket_;       // drain rate; null = unlimited; connection thread only
  const std::function<cleansweep::v1::Heartbeat()> heartbeat_provider_;
  const std::function<void(const cleansweep::v1::CaptureConfig&)> on_config_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<OutboundQueue> queue_;  // guarded by mu_
  uint64_t enqueued_ = 0;                 // events ever enqueued
  std::deque<cleansweep::v1::SweepResult> sweep_results_;  // not yet written
  uint64_t sent_through_ = 0;             // highest sequence written on the current stream
  LostRange lost_sent_;                   // last LostEvents written on the current stream
  absl::Time oldest_unsent_ = absl::InfiniteFuture();
  int waiters_ = 0;                       // WaitAllAcked callers: send without batching delay
  bool stopping_ = false;
  bool run_done_ = false;
  bool reader_done_ = false;
  bool stream_live_ = false;              // the collector answered on the current stream
  absl::Status last_error_;               // of the last stream, OK while one is live
  absl::Status config_error_;             // non-OK: the last failure was a configuration error
  grpc::ClientContext* current_context_ = nullptr;

  std::atomic<uint64_t> acked_{0};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_UPLINK_UPLINK_H_
