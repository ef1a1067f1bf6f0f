// BatchWriter: group commit for the collector's agent streams. Domain code:
// no gRPC types.
//
// Every stream hands its EventBatch to Submit() (lent, not copied); one
// writer thread takes the batches of every stream that are waiting, stores
// them with ONE durable commit (EventStore::AppendEventGroups: one fsync for
// the group, not one per batch), and only then calls each batch's `done`
// with that agent's acknowledged sequence. The stream's adapter sends the Ack
// from `done` and keeps at most two batches here (one being stored, the next
// parsed meanwhile), so:
//  - an Ack always follows the durable commit of what it acknowledges;
//  - memory is bounded by (streams x two batches) however much the agents
//    offer: an agent that sends faster than the disk stores is held back by
//    gRPC flow control;
//  - the more streams wait, the larger the group and the cheaper each batch.
// A group holds at most max_events_per_commit events (the rest wait for the
// next commit) so one commit cannot grow without bound.
//
// Thread-safety: Submit and Stop are thread-safe. `done` runs on the writer
// thread, never inside Submit (except after Stop, see below); it must not
// block for long (it delays every other stream).
// Errors: a batch the store refuses gets its own error; a failed commit fails
// every batch of the group. After Stop(), Submit calls `done` at once with
// Unavailable.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_BATCH_WRITER_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_BATCH_WRITER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/store/event_range.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct BatchWriterOptions {
  // Events per commit at most (a single larger batch still commits alone).
  size_t max_events_per_commit = 50000;
  // Called on the writer thread with each batch the store accepted, after the
  // commit and before its `done` (the live detector observes here, so it
  // only ever judges durably stored events). Must be cheap and must not block.
  // `prepared`: what the submitter passed along with the batch (or null).
  std::function<void(const AgentIdentity& agent, EventRange events,
                     const std::shared_ptr<void>& prepared)>
      on_stored;
};

class BatchWriter {
 public:
  using Done = std::function<void(absl::StatusOr<uint64_t> acked_sequence)>;

  // `store` is borrowed and must outlive the writer. Starts the writer thread.
  explicit BatchWriter(EventStore* store, BatchWriterOptions options = {},
                       std::function<absl::Time()> clock = absl::Now);
  ~BatchWriter();  // Stop()
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues `events` of `agent` for the next group commit; `done` gets the
  // agent's highest contiguous stored sequence after the commit, or the error.
  // The events are borrowed: they must stay alive and unchanged until `done`
  // is called (the stream does not read its next message before that, so it
  // lends the batch gRPC parsed, without a copy). `payloads`: empty, or
  // events[i] serialized, also borrowed (EventAppend::payloads).
  void Submit(AgentIdentity agent, EventRange events,
              absl::Span<const absl::string_view> payloads, std::shared_ptr<void> prepared,
              Done done);

  // Stores what is queued, completes it, and joins the writer thread.
  // Idempotent.
  void Stop();

  // Commits so far and batches they carried (for logs and tests).
  uint64_t commits() const;
  uint64_t batches() const;

 private:
  struct Pending {
    AgentIdentity agent;
    EventRange events;  // borrowed until `done`
    absl::Span<const absl::string_view> payloads;
    std::shared_ptr<void> prepared;  // for on_stored
    Done done;
  };


  void Loop();
  // Stores `group` with one commit and completes every batch in it.
  void Commit(std::vector<Pending>* group);

  EventStore* const store_;
  const BatchWriterOptions options_;
  const std::function<absl::Time()> clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  uint64_t commits_ = 0;       // guarded by mu_
  uint64_t batches_ = 0;       // guarded by mu_
  std::thread thread_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_BATCH_WRITER_H_
