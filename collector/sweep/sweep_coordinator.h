// SweepCoordinator: the sweeps of a running collector. No gRPC: the agent
// stream adapter subscribes each authenticated stream and hands over its
// answers; the admin endpoint starts sweeps and watches them.
//
//  - Start: a request (random id; the plan's backdoor ports and protected
//    domains; expiring after `lifetime`) asking every agent known now
//    (enrolled and not revoked, or seen reporting) is stored, then delivered
//    at once to every subscribed stream of those agents.
//  - Subscribe(agent, deliver): every pending request of that agent
//    (stored, unanswered by it, not expired) is delivered at once, and each
//    request started later too. So an agent that was offline gets a sweep
//    when it reconnects until it expires, and gets it again on every stream
//    until its answer is stored.
//  - OnAnswer: the answer is checked (sweep_judge.h bounds; the sweep must
//    have asked that agent), judged, stored with its verdict, and logged;
//    `on_answer` is called and watchers are woken. A repeated answer is ignored (the first stays).
//  - Wait: returns the sweep as soon as more than `answered_above` agents
//    answered, or when `wait` ends.
// Deliveries are recorded (EventStore::MarkSweepDelivered). Delivery
// callbacks run under the coordinator's lock: they must only queue, and must
// not call back into the coordinator. After Unsubscribe returns, a callback
// never runs again. Thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_COORDINATOR_H_
#define CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_COORDINATOR_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cleansweep/v1/admin.pb.h"
#include "collector/store/event_store.h"
#include "collector/sweep/sweep_plan.h"

namespace cleansweep::collector {

struct SweepCoordinatorOptions {
  // What the next sweep looks for (read at every Start: follows rule
  // reloads). Empty: DefaultSweepPlan().
  std::function<absl::StatusOr<SweepPlan>()> plan;
  std::function<absl::Time()> clock = absl::Now;
  // Called (outside the coordinator's lock, on the answering stream's
  // thread) after an agent's answer was stored, e.g. to judge it with the
  // sweep rules. May be empty.
  std::function<void(const std::string& agent_id, const std::string& sweep_id)> on_answer;
};

inline constexpr absl::Duration kDefaultSweepLifetime = absl::Hours(24);
inline constexpr absl::Duration kMaxSweepLifetime = absl::Hours(24 * 30);
inline constexpr absl::Duration kMaxSweepWait = absl::Seconds(10);

class SweepCoordinator {
 public:
  using Deliver = std::function<void(const cleansweep::v1::SweepRequest&)>;

  // `store` is borrowed and must outlive the coordinator.
  SweepCoordinator(EventStore* store, SweepCoordinatorOptions options = {});
  SweepCoordinator(const SweepCoordinator&) = delete;
  SweepCoordinator& operator=(const SweepCoordinator&) = delete;

  // Agent streams. Subscribe returns the id for Unsubscribe. When the
  // pending requests cannot be read (a store error, logged) the stream still
  // gets the sweeps started later, and the pending ones on its next stream.
  uint64_t Subscribe(const std::string& agent_id, Deliver deliver);
  void Unsubscribe(uint64_t id);
  absl::Status OnAnswer(const std::string& agent_id, const cleansweep::v1::SweepResult& result);

  // Admin. `lifetime` 0 = kDefaultSweepLifetime; InvalidArgument beyond
  // kMaxSweepLifetime or negative; FailedPrecondition when no agent is known.
  absl::StatusOr<cleansweep::v1::SweepStatus> Start(absl::Duration lifetime);
  // NotFound for an unknown id. `wait` is capped at kMaxSweepWait.
  absl::StatusOr<cleansweep::v1::SweepStatus> Wait(const std::string& sweep_id,
                                                   uint32_t answered_above, absl::Duration wait,
                                                   bool with_results);

 private:
  absl::StatusOr<cleansweep::v1::SweepStatus> Load(const std::string& sweep_id, bool with_results);

  EventStore* const store_;
  const SweepCoordinatorOptions options_;

  std::mutex mu_;
  std::condition_variable answered_;
  struct Subscriber {
    std::string agent_id;
    Deliver deliver;
  };
  std::map<uint64_t, Subscriber> subscribers_;  // guarded by mu_
  uint64_t next_id_ = 1;                        // guarded by mu_
  uint64_t answers_ = 0;                        // answers stored; guarded by mu_
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_COORDINATOR_H_
