#include "collector/service/live_detection.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/evaluate.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

LiveDetection::LiveDetection(EventStore* store, std::shared_ptr<const CompiledRules> rules,
                             LiveDetectionOptions options)
    : store_(store), options_(options), detector_(std::move(rules), options.detector) {
  thread_ = std::thread([this] { Loop(); });
}

LiveDetection::~LiveDetection() { Stop(); }

void LiveDetection::Observe(const AgentIdentity& agent,
                            absl::Span<const cleansweep::v1::Event> events) {
  detector_.Observe(agent.agent_id, events);
}

void LiveDetection::SetRules(std::shared_ptr<const CompiledRules> rules) {
  std::lock_guard<std::mutex> round(round_mu_);
  const int64_t newest = detector_.stats().newest_time_us;
  detector_.SetRules(rules);
  if (newest == 0) return;
  // Refill the windows: the stored events of the retention, judged anew.
  const absl::Time from = absl::FromUnixMicros(newest) - detector_.retention();
  cleansweep::v1::Event event;
  uint64_t refilled = 0;
  absl::Status st = store_->ScanEvents(
      from, absl::InfiniteFuture(), [&](absl::string_view agent, absl::string_view payload) {
        if (event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          detector_.Observe(agent, {&event, 1});
          ++refilled;
        }
        return absl::OkStatus();
      });
  if (!st.ok()) {
    LOG_WARNING("live detection: could not refill the windows from the store: %s",
                std::string(st.message()));
  }
  LOG_INFO("live detection: rules %s in force; windows refilled with %llu stored events",
           rules->digest().substr(0, 16), static_cast<unsigned long long>(refilled));
}

void LiveDetection::JudgeNow() {
  std::lock_guard<std::mutex> round(round_mu_);
  for (const HostFindings& host : detector_.Judge()) {
    absl::Status st = store_->ReplaceHostFindings(host.host, host.findings, absl::Now());
    if (!st.ok()) {
      LOG_ERROR("live detection: storing the findings of %s failed: %s", host.host,
                std::string(st.message()));
    }
    for (const cleansweep::v1::Finding& f : host.findings) {
      std::string key = absl::StrCat(f.host(), "|", f.rule(), "|",
                                     TimeUtil::TimestampToMicroseconds(f.first_time()));
      if (!logged_.insert(std::move(key)).second) continue;
      LOG_WARNING("finding: host %s (agent %s) is %s by rule %s: %d in one window (threshold "
                  "%d), first %s, fired %s",
                  f.host(), f.agent_id(), std::string(SeverityName(f.severity())), f.rule(),
                  f.peak(), f.threshold(), FormatTimeUtc(TimeOf(f.first_time())),
                  FormatTimeUtc(TimeOf(f.fired_time())));
    }
  }
}

void LiveDetection::Loop() {
  absl::Duration wait = options_.interval;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_; });
      if (stopping_) return;
    }
    const absl::Time start = absl::Now();
    JudgeNow();
    wait = std::max(options_.interval, 9 * (absl::Now() - start));
  }
}

void LiveDetection::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  JudgeNow();
}

}  // namespace cleansweep::collector
