#include "collector/service/capture_config_broadcast.h"

#include <utility>

namespace cleansweep::collector {

CaptureConfigBroadcast::CaptureConfigBroadcast(cleansweep::v1::CaptureConfig initial)
    : current_(std::move(initial)) {}

CaptureConfigBroadcast::Subscription CaptureConfigBroadcast::Subscribe(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  Subscription s;
  s.id = next_id_++;
  s.current = current_;
  listeners_.emplace(s.id, std::move(listener));
  return s;
}

void CaptureConfigBroadcast::Unsubscribe(uint64_t id) {
  // Taking the lock waits out a Publish that may be running this listener.
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

size_t CaptureConfigBroadcast::Publish(const cleansweep::v1::CaptureConfig& config) {
  // Replacing and delivering under one lock: a Subscribe can never fall
  // between the two (it would get the old configuration and miss the new).
  std::lock_guard<std::mutex> lock(mu_);
  current_ = config;
  for (auto& [id, listener] : listeners_) listener(current_);
  return listeners_.size();
}

cleansweep::v1::CaptureConfig CaptureConfigBroadcast::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

size_t CaptureConfigBroadcast::listeners() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listeners_.size();
}

}  // namespace cleansweep::collector
