// SweepWorker: runs the sweeps the collector asks for on a thread of its own,
// so that reading /proc never holds up the uplink's reader (acks) or the
// capture. Requests arrive from the uplink (Submit); each answer goes to
// `sink` (the uplink, which sends it on the current or the next stream).
//
//  - A request whose expires_time has passed (agent clock) is dropped, and
//    logged: the collector no longer waits for it.
//  - A request whose id is already queued or running is ignored; one that
//    was answered before is answered again (the collector re-sends a sweep
//    only while it has no answer stored, e.g. when the answer was lost with
//    a broken stream).
//  - At most kMaxQueued requests wait; more are dropped and logged.
// Thread-safe; Stop() (or the destructor) finishes the sweep in progress,
// drops the queue and joins.
#ifndef CLEANSWEEP_AGENT_SWEEP_SWEEP_WORKER_H_
#define CLEANSWEEP_AGENT_SWEEP_SWEEP_WORKER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/sweep/host_inspector.h"
#include "agent/sweep/sweeper.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

class SweepWorker {
 public:
  static constexpr size_t kMaxQueued = 16;

  using ContextProvider = std::function<SweepContext()>;
  using ResultSink = std::function<void(cleansweep::v1::SweepResult)>;

  // `context` and `sink` are called on the worker thread.
  SweepWorker(HostInspectorPtr inspector, ContextProvider context, ResultSink sink,
              std::function<absl::Time()> clock = absl::Now);
  ~SweepWorker();
  SweepWorker(const SweepWorker&) = delete;
  SweepWorker& operator=(const SweepWorker&) = delete;

  // Returns at once.
  void Submit(const cleansweep::v1::SweepRequest& request);
  void Stop();

 private:
  void Run();

  const HostInspectorPtr inspector_;
  const ContextProvider context_;
  const ResultSink sink_;
  const std::function<absl::Time()> clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<cleansweep::v1::SweepRequest> queue_;  // guarded by mu_
  std::string running_;                             // id in progress; guarded by mu_
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_SWEEP_WORKER_H_
