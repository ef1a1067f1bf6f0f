#include "agent/sweep/sweep_worker.h"

#include <utility>

#include "common/logging.h"

namespace cleansweep::agent {
namespace {

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

SweepWorker::SweepWorker(HostInspectorPtr inspector, ContextProvider context, ResultSink sink,
                         std::function<absl::Time()> clock)
    : inspector_(std::move(inspector)),
      context_(std::move(context)),
      sink_(std::move(sink)),
      clock_(std::move(clock)) {
  thread_ = std::thread([this] { Run(); });
}

SweepWorker::~SweepWorker() { Stop(); }

void SweepWorker::Submit(const cleansweep::v1::SweepRequest& request) {
  if (request.has_expires_time() && FromProto(request.expires_time()) <= clock_()) {
    LOG_WARNING("sweep %s expired before it reached this agent; not run", request.sweep_id());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (running_ == request.sweep_id()) return;
  for (const auto& queued : queue_) {
    if (queued.sweep_id() == request.sweep_id()) return;
  }
  if (queue_.size() >= kMaxQueued) {
    LOG_WARNING("sweep %s dropped: %d sweeps already waiting", request.sweep_id(), queue_.size());
    return;
  }
  queue_.push_back(request);
  cv_.notify_all();
}

void SweepWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SweepWorker::Run() {
  while (true) {
    cleansweep::v1::SweepRequest request;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
      running_ = request.sweep_id();
    }
    LOG_INFO("sweep %s requested by the collector; checking this host", request.sweep_id());
    cleansweep::v1::SweepResult result = RunSweep(request, context_(), inspector_.get(), clock_);
    LOG_INFO(
        "sweep %s done: %d listener(s) on checked ports, %d outbound SMTP connection(s), "
        "%d hosts-file entr(ies) for protected domains, %d check(s) failed; answering",
        request.sweep_id(), result.listeners_size(), result.smtp_connections_size(),
        result.hosts_redirects_size(), result.errors_size());
    for (const std::string& e : result.errors()) {
      LOG_WARNING("sweep %s: %s", request.sweep_id(), e);
    }
    sink_(std::move(result));
    std::lock_guard<std::mutex> lock(mu_);
    running_.clear();
  }
}

}  // namespace cleansweep::agent
