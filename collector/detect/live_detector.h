// The live detector: the evaluation of evaluate.h applied continuously to
// what agents report, per host, over the recent past.
//
// Observe() is called on the ingest path with events that were durably
// stored; it only classifies each event into a Fact and queues it (cheap,
// thread-safe). Judge() — called periodically by one thread — sorts the
// queued facts into each host's timeline, drops what is older than the
// retention, re-judges the hosts that changed with JudgeHost (the same code
// as `findings`), and returns the hosts whose findings changed, each with its
// complete list. Because every host is re-judged from its ordered facts,
// the findings do not depend on the order events arrived in: for events
// within the retention they are exactly what `findings` computes over the
// same events (tests/integration prove it). A finding whose start has left
// the retention is kept as published and extended, not restarted.
//
// Bounded state: at most `max_facts_per_host` facts per host (the oldest go
// first), about `max_total_facts` in all, and `max_hosts` hosts (facts of
// further hosts are dropped and counted); a resent event (same agent and
// sequence) is counted once.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_LIVE_DETECTOR_H_
#define CLEANSWEEP_COLLECTOR_DETECT_LIVE_DETECTOR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cleansweep/v1/event.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/fact.h"
#include "collector/store/event_range.h"

namespace cleansweep::collector {

struct LiveDetectorOptions {
  // How much of each host's past is kept, measured back from its newest
  // fact. Zero: twice the longest rule window.
  absl::Duration retention = absl::ZeroDuration();
  size_t max_facts_per_host = 200000;
  size_t max_hosts = 100000;
  // All hosts together (a fact is 48 bytes: 4M is ~190 MiB). When many hosts
  // are busy each keeps max(1024, max_total_facts / hosts) at most.
  size_t max_total_facts = 4000000;
  // Findings kept per host (the oldest go first).
  size_t max_findings_per_host = 1000;
};

// One host whose findings changed: its complete current list.
struct HostFindings {
  std::string host;  // canonical address text
  std::vector<cleansweep::v1::Finding> findings;
};

struct LiveDetectorStats {
  uint64_t events_observed = 0;
  uint64_t facts_judged = 0;  // facts that entered a timeline
  uint64_t facts_evicted = 0;
  uint64_t facts_dropped_host_limit = 0;
  uint64_t duplicates = 0;
  uint64_t hosts = 0;
  uint64_t facts_held = 0;
  int64_t newest_time_us = 0;  // newest fact time seen (Unix microseconds); 0 before any
};

class LiveDetector {
 public:
  // A batch's facts, classified before the batch is stored (Classify) and
  // taken in once it is (Admit).
  class Classified {
   public:
    Classified() = default;

   private:
    friend class LiveDetector;
    struct Entry {
      IpAddress host;
      Fact fact;
    };
    std::shared_ptr<const CompiledRules> rules;  // they were classified with
    std::vector<Entry> facts;
    uint64_t events = 0;
  };

  LiveDetector(std::shared_ptr<const CompiledRules> rules, LiveDetectorOptions options);

  // Thread-safe; cheap. Events the rules do not judge are dropped here.
  void Observe(absl::string_view agent_id, EventRange events);

  // Observe in two steps, so that the work can be done off the thread that
  // stores batches: Classify (thread-safe, any thread, before the batch is
  // durably stored) extracts the facts; Admit (after it is stored) queues
  // them, exactly as Observe would have. `events` are the same events: if
  // the rules changed in between they are classified again.
  Classified Classify(absl::string_view agent_id, EventRange events) const;
  void Admit(Classified classified, absl::string_view agent_id, EventRange events);

  // Re-judges every host that received facts since the last call. Returns the
  // hosts whose findings changed, ordered by address. Serialised internally.
  std::vector<HostFindings> Judge();

  // New rules: the hosts' timelines are cleared (facts were classified with
  // the old site); findings already published are kept. Re-feed recent
  // history with Observe to refill the windows.
  void SetRules(std::shared_ptr<const CompiledRules> rules);

  // How far back a host's facts are kept under the current rules.
  absl::Duration retention() const;

  // Every published finding, sorted as SortFindings does.
  std::vector<cleansweep::v1::Finding> Current() const;
  LiveDetectorStats stats() const;
  std::shared_ptr<const CompiledRules> rules() const;

 private:
  struct Queued {
    IpAddress host;
    Fact fact;
  };
  struct Host {
    std::vector<Fact> facts;  // sorted by FactBefore after each Judge
    std::vector<cleansweep::v1::Finding> published;
  };

  int64_t RetentionUs(const CompiledRules& rules) const;
  // Merges a fresh judgement into the published list; true if it changed.
  static bool Reconcile(Host& host, std::vector<cleansweep::v1::Finding> fresh,
                        int64_t horizon_us, size_t max_findings);

  const LiveDetectorOptions options_;

  mutable absl::Mutex queue_mu_;
  std::shared_ptr<const CompiledRules> rules_ ABSL_GUARDED_BY(queue_mu_);
  // Interning only appends, so Classify (const) may add an agent's name.
  mutable AgentIds queue_agents_ ABSL_GUARDED_BY(queue_mu_);
  size_t agents_copied_ ABSL_GUARDED_BY(queue_mu_) = 0;  // names already in agents_
  std::vector<Queued> queue_ ABSL_GUARDED_BY(queue_mu_);
  uint64_t events_observed_ ABSL_GUARDED_BY(queue_mu_) = 0;

  mutable absl::Mutex judge_mu_ ABSL_ACQUIRED_AFTER(queue_mu_);
  AgentIds agents_ ABSL_GUARDED_BY(judge_mu_);  // mirrors queue_agents_' indices
  std::shared_ptr<const CompiledRules> judge_rules_ ABSL_GUARDED_BY(judge_mu_);
  absl::flat_hash_map<IpAddress, Host> hosts_ ABSL_GUARDED_BY(judge_mu_);
  LiveDetectorStats stats_ ABSL_GUARDED_BY(judge_mu_);
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_LIVE_DETECTOR_H_
