#include "collector/service/batch_writer.h"

#include <utility>

namespace cleansweep::collector {

BatchWriter::BatchWriter(EventStore* store, BatchWriterOptions options,
                         std::function<absl::Time()> clock)
    : store_(store), options_(options), clock_(std::move(clock)) {
  thread_ = std::thread([this] { Loop(); });
}

BatchWriter::~BatchWriter() { Stop(); }

void BatchWriter::Submit(AgentIdentity agent, EventRange events,
                         absl::Span<const absl::string_view> payloads,
                         std::shared_ptr<void> prepared, Done done) {
  Pending pending;
  pending.agent = std::move(agent);
  pending.events = events;
  pending.payloads = payloads;
  pending.prepared = std::move(prepared);
  pending.done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(pending));
      cv_.notify_one();
      return;
    }
  }
  pending.done(absl::UnavailableError("the collector is shutting down"));
}

void BatchWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t BatchWriter::commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_;
}

uint64_t BatchWriter::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

void BatchWriter::Loop() {
  std::vector<Pending> group;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is completed
      // Everything that arrived while the previous commit ran goes into this
      // one, up to the size limit (at least one batch).
      size_t events = 0;
      while (!queue_.empty() &&
             (group.empty() ||
              events + queue_.front().events.size() <= options_.max_events_per_commit)) {
        events += queue_.front().events.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Commit(&group);
    group.clear();  // the events are the submitters' (freed off this thread)
  }
}

void BatchWriter::Commit(std::vector<Pending>* group) {
  std::vector<EventAppend> appends;
  appends.reserve(group->size());
  for (const Pending& p : *group) appends.push_back({&p.agent, p.events, p.payloads});
  std::vector<absl::StatusOr<uint64_t>> results = store_->AppendEventGroups(appends, clock_());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++commits_;
    batches_ += group->size();
  }
  // Only now, after the commit, may any stream hear that its events are stored.
  for (size_t i = 0; i < group->size(); ++i) {
    absl::StatusOr<uint64_t> result =
        i < results.size() ? std::move(results[i])
                           : absl::InternalError("the store returned too few results");
    if (result.ok() && options_.on_stored) {
      options_.on_stored((*group)[i].agent, (*group)[i].events, (*group)[i].prepared);
    }
    (*group)[i].done(std::move(result));
  }
}

}  // namespace cleansweep::collector
