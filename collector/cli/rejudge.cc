#include "collector/cli/rejudge.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collector/detect/evaluate.h"
#include "collector/cli/format.h"
#include "collector/detect/ip_address.h"
#include "collector/sweep/sweep_answers.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using cleansweep::v1::FindingReport;
using google::protobuf::util::TimeUtil;

// Infinite times (a caller asking for "everything") are clamped to what a
// Timestamp can hold, 0001-01-01 .. 9999-12-31.
google::protobuf::Timestamp ToProto(absl::Time t) {
  const absl::Time lo = absl::FromUnixSeconds(TimeUtil::kTimestampMinSeconds);
  const absl::Time hi = absl::FromUnixSeconds(TimeUtil::kTimestampMaxSeconds);
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(std::clamp(t, lo, hi)));
}

// Events read but not yet judged: (agent id, payload) pairs, their bytes back
// to back, and once read (ReadSerialized, on either thread) their facts.
class EventBatch {
 public:
  static constexpr size_t kEvents = 2048;

  void Add(absl::string_view agent_id, absl::string_view payload) {
    entries_.push_back(Entry{bytes_.size(), agent_id.size(), payload.size(), std::nullopt});
    bytes_.append(agent_id.data(), agent_id.size());
    bytes_.append(payload.data(), payload.size());
  }
  bool full() const { return entries_.size() >= kEvents; }
  size_t size() const { return entries_.size(); }
  absl::string_view agent_id(size_t i) const {
    return absl::string_view(bytes_.data() + entries_[i].offset, entries_[i].id_size);
  }
  absl::string_view payload(size_t i) const {
    const Entry& e = entries_[i];
    return absl::string_view(bytes_.data() + e.offset + e.id_size, e.payload_size);
  }

  // Reads every event up to the first that does not parse.
  void Read(const CompiledRules& rules) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (!Evaluation::ReadSerialized(rules, payload(i), &entries_[i].fact)) {
        unreadable_ = i;
        return;
      }
    }
  }
  const std::optional<HostFact>& fact(size_t i) const { return entries_[i].fact; }
  // The first event that does not parse; size() when all do.
  size_t unreadable() const { return std::min(unreadable_, entries_.size()); }

  void Clear() {
    bytes_.clear();
    entries_.clear();
    unreadable_ = SIZE_MAX;
  }

 private:
  struct Entry {
    size_t offset;
    size_t id_size;
    size_t payload_size;
    std::optional<HostFact> fact;
  };
  std::string bytes_;  // keeps its capacity across Clear()
  std::vector<Entry> entries_;
  size_t unreadable_ = SIZE_MAX;
};

// Batches from the reading thread to the judging one, in scan order. A fixed
// set circulates, so the reader is never more than kBatches ahead. Reading
// the events (protobuf bytes to facts) is done by the judging thread, or by
// the reading thread when the judge is two or more batches behind: the two
// threads share the work without either waiting on the other for long.
class EventPipe {
 public:
  static constexpr int kBatches = 8;

  EventPipe() {
    for (auto& b : batches_) empty_.push_back(&b);
  }

  // Reader: an empty batch to fill; nullptr once the judge stopped.
  EventBatch* Empty() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](EventPipe* p) { return p->stopped_ || !p->empty_.empty(); }, this));
    if (stopped_) return nullptr;
    EventBatch* b = empty_.front();
    empty_.pop_front();
    return b;
  }
  void Send(EventBatch* b) {
    absl::MutexLock lock(&mu_);
    state_[Index(b)] = State::kQueued;
    full_.push_back(b);
  }
  // Reader: the newest queued batch to read for the judge, when at least one
  // more waits before it; nullptr otherwise.
  EventBatch* Help() {
    absl::MutexLock lock(&mu_);
    int queued = 0;
    for (EventBatch* b : full_) queued += state_[Index(b)] == State::kQueued;
    if (queued < 2 || state_[Index(full_.back())] != State::kQueued) return nullptr;
    state_[Index(full_.back())] = State::kReading;
    return full_.back();
  }
  // Either thread: `b` is read.
  void Done(EventBatch* b) {
    absl::MutexLock lock(&mu_);
    state_[Index(b)] = State::kRead;
  }
  void Finish() {
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }

  // Judge: the next batch, nullptr after the last. Returned read: by the
  // reader, or here when it has not taken it.
  EventBatch* Receive(const CompiledRules& rules) {
    EventBatch* b;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventPipe* p) { return p->finished_ || !p->full_.empty(); }, this));
      if (full_.empty()) return nullptr;
      b = full_.front();
      full_.pop_front();
      if (state_[Index(b)] == State::kQueued) {
        state_[Index(b)] = State::kReading;
      } else {
        auto read = [](std::pair<EventPipe*, size_t>* arg) {
          return arg->first->state_[arg->second] == State::kRead;
        };
        std::pair<EventPipe*, size_t> arg(this, Index(b));
        mu_.Await(absl::Condition(+read, &arg));
        return b;
      }
    }
    b->Read(rules);
    return b;
  }
  void Return(EventBatch* b) {
    b->Clear();
    absl::MutexLock lock(&mu_);
    state_[Index(b)] = State::kEmpty;
    empty_.push_back(b);
  }
  // No more batches are wanted.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

 private:
  enum class State { kEmpty, kQueued, kReading, kRead };
  size_t Index(const EventBatch* b) const { return static_cast<size_t>(b - batches_); }

  EventBatch batches_[kBatches];
  absl::Mutex mu_;
  State state_[kBatches] ABSL_GUARDED_BY(mu_) = {};
  std::deque<EventBatch*> empty_ ABSL_GUARDED_BY(mu_);
  std::deque<EventBatch*> full_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void DescribeEvidence(EventStore& store, Finding* finding) {
  for (cleansweep::v1::EvidenceRef& e : *finding->mutable_evidence()) {
    if (!e.sweep_id().empty()) continue;  // a sweep answer's, described when judged
    absl::StatusOr<StoredEvent> se = store.GetEvent(e.agent_id(), e.sequence());
    if (se.ok()) e.set_summary(EventSummary(se->event));
  }
}

void FillVerdicts(FindingReport* report) {
  std::map<std::string, cleansweep::v1::HostVerdict> by_host;
  for (const Finding& f : report->findings()) {
    cleansweep::v1::HostVerdict& v = by_host[f.host()];
    if (v.host().empty()) {
      v.set_host(f.host());
      v.set_agent_id(f.agent_id());
    }
    v.set_severity(std::max(v.severity(), f.severity()));
    v.set_findings(v.findings() + 1);
  }
  std::vector<cleansweep::v1::HostVerdict> verdicts;
  for (auto& [host, v] : by_host) verdicts.push_back(std::move(v));
  auto address = [](const std::string& h) { return ParseIpAddress(h).value_or(IpAddress{}); };
  std::stable_sort(verdicts.begin(), verdicts.end(), [&](const auto& a, const auto& b) {
    if (a.severity() != b.severity()) return a.severity() > b.severity();
    return address(a.host()) < address(b.host());
  });
  report->clear_verdicts();
  for (auto& v : verdicts) *report->add_verdicts() = std::move(v);
}

absl::StatusOr<FindingReport> Rejudge(EventStore& store,
                                      std::shared_ptr<const CompiledRules> rules, absl::Time from,
                                      absl::Time to,
                                      const std::function<void(uint64_t events)>& progress,
                                      RejudgeStats* stats, const FactVisitor& visit) {
  const absl::Time start = absl::Now();
  // One window before `from`, so a window ending just after it is complete.
  const absl::Time read_from = from - absl::Microseconds(rules->max_window_us);
  Evaluation eval(rules);
  uint64_t read = 0;
  const int64_t from_us = absl::ToUnixMicros(from), to_us = absl::ToUnixMicros(to);
  // Reading (SQLite) and judging each take about half the time: a second
  // thread reads while this one judges, in the same order.
  EventPipe pipe;
  absl::Status scanned;
  std::thread reader([&] {
    EventBatch* batch = pipe.Empty();
    scanned = store.ScanEvents(
        read_from, to, [&](absl::string_view agent_id, absl::string_view payload) -> absl::Status {
          if (batch == nullptr) return absl::CancelledError("judging stopped");
          batch->Add(agent_id, payload);
          if (batch->full()) {
            pipe.Send(batch);
            if (EventBatch* behind = pipe.Help()) {
              behind->Read(*rules);
              pipe.Done(behind);
            }
            batch = pipe.Empty();
          }
          return absl::OkStatus();
        });
    if (batch != nullptr) pipe.Send(batch);
    pipe.Finish();
  });
  absl::Status judged;
  while (judged.ok()) {
    EventBatch* batch = pipe.Receive(*rules);
    if (batch == nullptr) break;
    const size_t readable = batch->unreadable();
    for (size_t i = 0; i < readable; ++i) {
      eval.AddRead(batch->agent_id(i), batch->fact(i));
      if (visit && batch->fact(i) && batch->fact(i)->fact.time_us >= from_us &&
          batch->fact(i)->fact.time_us <= to_us) {
        visit(batch->agent_id(i), *batch->fact(i));
      }
      if (++read % (1 << 20) == 0 && progress) progress(read);
    }
    if (readable < batch->size()) {
      // The scan stops here too; this event comes first in scan order.
      judged = absl::DataLossError(absl::StrCat("a stored event of agent ",
                                                batch->agent_id(readable),
                                                " does not parse; the database is damaged"));
    }
    pipe.Return(batch);
  }
  pipe.Stop();
  reader.join();
  RETURN_IF_ERROR(judged);
  RETURN_IF_ERROR(scanned);
  FindingReport report;
  report.set_rules_digest(rules->digest());
  *report.mutable_from() = ToProto(from);
  *report.mutable_to() = ToProto(to);
  report.set_events_judged(eval.events_added());
  report.set_hosts_judged(eval.hosts());
  std::vector<Finding> found = eval.Judge(/*threads=*/2);
  // The sweep answers too (sweep_findings.h), with one window of theirs
  // before `from` as for the events.
  int64_t sweep_window_us = 0;
  for (const CompiledRule& r : rules->sweep_rules) {
    sweep_window_us = std::max(sweep_window_us, r.window_us);
  }
  uint64_t answers = 0;
  ASSIGN_OR_RETURN(std::vector<Finding> swept,
                   JudgeStoredSweepAnswers(store, *rules, "",
                                           from - absl::Microseconds(sweep_window_us), to,
                                           &answers));
  report.set_sweep_answers_judged(answers);
  for (Finding& f : swept) found.push_back(std::move(f));
  SortFindings(&found);
  for (Finding& f : found) {
    if (TimeUtil::TimestampToMicroseconds(f.last_time()) < from_us ||
        TimeUtil::TimestampToMicroseconds(f.first_time()) > to_us) {
      continue;
    }
    *report.add_findings() = std::move(f);
  }
  if (stats) {
    stats->events = read;
    stats->elapsed = absl::Now() - start;
  }
  for (Finding& f : *report.mutable_findings()) DescribeEvidence(store, &f);
  FillVerdicts(&report);
  return report;
}

}  // namespace cleansweep::collector
