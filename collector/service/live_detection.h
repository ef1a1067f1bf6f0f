// LiveDetection: runs the live detector inside `serve`. Events reach it from
// the batch writer once durably stored (Observe); a thread judges every
// `interval`, stores each changed host's findings (EventStore::
// ReplaceHostFindings) and logs each new finding once. New rules (SetRules)
// reset the detector and refill its windows from the stored events of the
// retention. Domain code: no gRPC.
//
// Sweep answers are judged here too (the SIGNAL_SWEEP_* rules,
// collector/sweep/sweep_findings.h): when an answer is stored
// (OnSweepAnswer), on new rules, and once at start, every answer of the
// agent that the sweep judged FOUND is judged anew and the agent's sweep
// findings replace its stored ones at each host (EventStore::
// ReplaceSweepFindings), which the event findings' replacement leaves alone.
//
// Cost control: the judging thread waits at least nine times as long as its
// last round took, so it never takes more than a tenth of a core; under
// extreme load findings arrive later, never never.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_LIVE_DETECTION_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_LIVE_DETECTION_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/live_detector.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct LiveDetectionOptions {
  absl::Duration interval = absl::Seconds(1);
  LiveDetectorOptions detector;
};

class LiveDetection {
 public:
  // `store` is borrowed and must outlive this object. Starts the thread.
  LiveDetection(EventStore* store, std::shared_ptr<const CompiledRules> rules,
                LiveDetectionOptions options = {});
  ~LiveDetection();  // Stop()
  LiveDetection(const LiveDetection&) = delete;
  LiveDetection& operator=(const LiveDetection&) = delete;

  // Thread-safe and cheap: hand over durably stored events.
  void Observe(const AgentIdentity& agent, EventRange events);
  // Observe in two steps (LiveDetector::Classify/Admit): Classify on any
  // thread before the events are stored, Admit once they are.
  LiveDetector::Classified Classify(const AgentIdentity& agent, EventRange events) const;
  void Admit(LiveDetector::Classified classified, const AgentIdentity& agent, EventRange events);

  // Swaps the rules and refills the windows from the store; judges the
  // sweep answers anew. Thread-safe.
  void SetRules(std::shared_ptr<const CompiledRules> rules);

  // An answer of `agent_id` was stored: its sweep findings are judged and
  // stored now, and each new one is logged once. Thread-safe.
  void OnSweepAnswer(absl::string_view agent_id);

  // Judges what was observed and stores the result now, on the caller's thread.
  void JudgeNow();

  // Judges once more and joins the thread. Idempotent.
  void Stop();

  const LiveDetector& detector() const { return detector_; }

 private:
  void Loop();
  // Judges the stored FOUND answers of `agent_id` ("" = every agent) with
  // `rules` and stores the findings per (host, agent); pairs that had
  // findings under `previous` (may be null) and have none now are cleared.
  // Logs new findings when `log`. Caller holds round_mu_.
  void StoreSweepFindings(const CompiledRules& rules, const CompiledRules* previous,
                          absl::string_view agent_id, bool log);

  EventStore* const store_;
  const LiveDetectionOptions options_;
  LiveDetector detector_;

  std::mutex round_mu_;  // one judging round at a time
  std::set<std::string> logged_;  // "host|rule|first_us" already logged; guarded by round_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_LIVE_DETECTION_H_
