#include "collector/service/live_detection.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/evaluate.h"
#include "collector/sweep/sweep_answers.h"
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
    : store_(store), options_(options), detector_(rules, options.detector) {
  {
    // Answers stored while no rules judged them (or other rules did).
    std::lock_guard<std::mutex> round(round_mu_);
    StoreSweepFindings(*rules, nullptr, "", /*log=*/false);
  }
  thread_ = std::thread([this] { Loop(); });
}

LiveDetection::~LiveDetection() { Stop(); }

void LiveDetection::Observe(const AgentIdentity& agent, EventRange events) {
  detector_.Observe(agent.agent_id, events);
}

LiveDetector::Classified LiveDetection::Classify(const AgentIdentity& agent,
                                                 EventRange events) const {
  return detector_.Classify(agent.agent_id, events);
}

void LiveDetection::Admit(LiveDetector::Classified classified, const AgentIdentity& agent,
                          EventRange events) {
  detector_.Admit(std::move(classified), agent.agent_id, events);
}

void LiveDetection::SetRules(std::shared_ptr<const CompiledRules> rules) {
  std::lock_guard<std::mutex> round(round_mu_);
  const int64_t newest = detector_.stats().newest_time_us;
  const std::shared_ptr<const CompiledRules> previous = detector_.rules();
  detector_.SetRules(rules);
  StoreSweepFindings(*rules, previous.get(), "", /*log=*/true);
  if (newest == 0) return;
  // Refill the windows: the stored events of the retention, judged anew.
  const absl::Time from = absl::FromUnixMicros(newest) - detector_.retention();
  cleansweep::v1::Event event;
  uint64_t refilled = 0;
  absl::Status st = store_->ScanEvents(
      from, absl::InfiniteFuture(), [&](absl::string_view agent, absl::string_view payload) {
        if (event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          detector_.Observe(agent, absl::MakeConstSpan(&event, 1));
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

void LiveDetection::OnSweepAnswer(absl::string_view agent_id) {
  std::lock_guard<std::mutex> round(round_mu_);
  StoreSweepFindings(*detector_.rules(), nullptr, agent_id, /*log=*/true);
}

void LiveDetection::StoreSweepFindings(const CompiledRules& rules, const CompiledRules* previous,
                                       absl::string_view agent_id, bool log) {
  // Every FOUND answer, whatever its age: an agent has few (a found host
  // gets cleaned), and judging them all gives what `findings` gives.
  using Pair = std::pair<std::string, std::string>;  // (host, agent)
  std::map<Pair, std::vector<cleansweep::v1::Finding>> by_pair;
  if (previous != nullptr) {
    absl::StatusOr<std::vector<cleansweep::v1::Finding>> before = JudgeStoredSweepAnswers(
        *store_, *previous, agent_id, absl::InfinitePast(), absl::InfiniteFuture());
    if (before.ok()) {
      for (const auto& f : *before) by_pair[{f.host(), f.agent_id()}];
    }
  }
  absl::StatusOr<std::vector<cleansweep::v1::Finding>> found = JudgeStoredSweepAnswers(
      *store_, rules, agent_id, absl::InfinitePast(), absl::InfiniteFuture());
  if (!found.ok()) {
    LOG_ERROR("live detection: judging the sweep answers%s failed: %s",
              agent_id.empty() ? "" : absl::StrCat(" of agent ", agent_id),
              std::string(found.status().message()));
    return;
  }
  for (cleansweep::v1::Finding& f : *found) {
    Pair key{f.host(), f.agent_id()};
    by_pair[key].push_back(std::move(f));
  }
  const absl::Time now = absl::Now();
  for (const auto& [pair, findings] : by_pair) {
    absl::Status st = store_->ReplaceSweepFindings(pair.first, pair.second, findings, now);
    if (!st.ok()) {
      LOG_ERROR("live detection: storing the sweep findings of %s (agent %s) failed: %s",
                pair.first, pair.second, std::string(st.message()));
    }
    for (const cleansweep::v1::Finding& f : findings) {
      std::string key = absl::StrCat(f.host(), "|", f.rule(), "|",
                                     TimeUtil::TimestampToMicroseconds(f.first_time()));
      if (!logged_.insert(std::move(key)).second || !log) continue;
      LOG_WARNING("finding: host %s (agent %s) is %s by rule %s: %s (threshold %d), %d answer(s) "
                  "from %s to %s",
                  f.host(), f.agent_id(), std::string(SeverityName(f.severity())), f.rule(),
                  f.evidence_size() > 0 ? f.evidence(0).summary() : std::string("?"),
                  f.threshold(), f.total(), FormatTimeUtc(TimeOf(f.first_time())),
                  FormatTimeUtc(TimeOf(f.last_time())));
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
