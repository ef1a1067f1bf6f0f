// SweepWorker: answers each request once through the sink, on its own
// thread; an expired request is not run; a request already queued or running
// is not queued twice. A context provider that blocks until released holds
// the first sweep "running" so that the order of events is fixed.
#include "agent/sweep/sweep_worker.h"

#include <mutex>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "agent/sweep/fake_host_inspector_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using testing::FakeHost;
using testing::FakeHostInspector;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

cleansweep::v1::SweepRequest Request(const std::string& id, absl::Duration expires_in) {
  cleansweep::v1::SweepRequest r;
  r.set_sweep_id(id);
  r.mutable_expires_time()->set_seconds(absl::ToUnixSeconds(kNow + expires_in));
  return r;
}

class Answers {
 public:
  void Add(cleansweep::v1::SweepResult r) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(r.sweep_id());
    cv_.notify_all();
  }
  // Waits (30 s at most) until `n` answers arrived; returns their ids.
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return ids_.size() >= n; });
    return ids_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> ids_;
};

TEST(SweepWorker, AnswersInOrderSkipsDuplicatesAndExpiredRequests) {
  FakeHost host;
  Answers answers;
  absl::Notification release;
  std::atomic<int> contexts{0};
  SweepWorker worker(
      std::make_unique<FakeHostInspector>(&host),
      [&] {
        if (contexts.fetch_add(1) == 0) release.WaitForNotification();
        return SweepContext();
      },
      [&](cleansweep::v1::SweepResult r) { answers.Add(std::move(r)); }, [] { return kNow; });
  worker.Submit(Request("a", absl::Hours(1)));
  // "a" is running (its context is blocked) once contexts > 0.
  while (contexts.load() == 0) std::this_thread::yield();
  worker.Submit(Request("a", absl::Hours(1)));       // running: ignored
  worker.Submit(Request("old", -absl::Seconds(1)));  // expired: not run
  worker.Submit(Request("b", absl::Hours(1)));
  worker.Submit(Request("b", absl::Hours(1)));  // queued: ignored
  release.Notify();
  EXPECT_EQ(answers.WaitFor(2), (std::vector<std::string>{"a", "b"}));
  // A later request for an id answered before is answered again.
  worker.Submit(Request("a", absl::Hours(1)));
  EXPECT_EQ(answers.WaitFor(3), (std::vector<std::string>{"a", "b", "a"}));
  worker.Stop();
  EXPECT_EQ(contexts.load(), 3);
}

}  // namespace
}  // namespace cleansweep::agent
