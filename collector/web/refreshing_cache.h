// RefreshingCache<T>: a value that is expensive to build (a snapshot of the
// whole fleet) and may be a little old. Get() returns the cached value at
// once; when it is older than `max_age` a rebuild is started in the
// background (one at a time) and later calls get its result. Only the very
// first call (or one after every build so far failed) builds synchronously
// and may return the loader's error. A failed background build keeps the
// previous value. So a page load never waits for a rebuild, and however many
// people look, the loader runs at most once per max_age.
//
// Thread-safe. The destructor waits for a rebuild under way.
#ifndef CLEANSWEEP_COLLECTOR_WEB_REFRESHING_CACHE_H_
#define CLEANSWEEP_COLLECTOR_WEB_REFRESHING_CACHE_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cleansweep::collector::web {

template <typename T>
class RefreshingCache {
 public:
  using Loader = std::function<absl::StatusOr<T>()>;

  RefreshingCache(Loader load, std::function<absl::Time()> clock, absl::Duration max_age)
      : load_(std::move(load)), clock_(std::move(clock)), max_age_(max_age) {}
  RefreshingCache(const RefreshingCache&) = delete;
  RefreshingCache& operator=(const RefreshingCache&) = delete;
  ~RefreshingCache() {
    WaitIdle();
    if (worker_.joinable()) worker_.join();
  }

  absl::StatusOr<std::shared_ptr<const T>> Get() {
    std::unique_lock<std::mutex> lock(mu_);
    if (current_ == nullptr) {
      // Nothing to show yet: build (or wait for the build under way).
      idle_.wait(lock, [this] { return !building_; });
      if (current_ != nullptr) return current_;
      building_ = true;
      lock.unlock();
      const absl::Time started = clock_();
      absl::StatusOr<T> loaded = load_();
      lock.lock();
      building_ = false;
      idle_.notify_all();
      if (!loaded.ok()) return loaded.status();
      current_ = std::make_shared<const T>(*std::move(loaded));
      built_at_ = started;
      return current_;
    }
    if (!building_ && clock_() - built_at_ >= max_age_) {
      building_ = true;
      if (worker_.joinable()) worker_.join();  // the previous rebuild has finished
      worker_ = std::thread([this] { Rebuild(); });
    }
    return current_;
  }

  // Waits until no build is under way (for tests).
  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return !building_; });
  }

 private:
  void Rebuild() {
    const absl::Time started = clock_();
    absl::StatusOr<T> loaded = load_();
    std::lock_guard<std::mutex> lock(mu_);
    if (loaded.ok()) {
      current_ = std::make_shared<const T>(*std::move(loaded));
      built_at_ = started;
    }
    building_ = false;
    idle_.notify_all();
  }

  const Loader load_;
  const std::function<absl::Time()> clock_;
  const absl::Duration max_age_;
  std::mutex mu_;
  std::condition_variable idle_;
  bool building_ = false;
  std::thread worker_;
  std::shared_ptr<const T> current_;
  absl::Time built_at_ = absl::InfinitePast();
};

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_REFRESHING_CACHE_H_
