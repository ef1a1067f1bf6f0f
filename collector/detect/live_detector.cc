#include "collector/detect/live_detector.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "collector/detect/evaluate.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using google::protobuf::util::TimeUtil;

int64_t Us(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMicroseconds(t); }

bool Overlaps(const Finding& a, const Finding& b) {
  return a.rule() == b.rule() && Us(a.first_time()) <= Us(b.last_time()) &&
         Us(b.first_time()) <= Us(a.last_time());
}

bool SameFinding(const Finding& a, const Finding& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

}  // namespace

LiveDetector::LiveDetector(std::shared_ptr<const CompiledRules> rules, LiveDetectorOptions options)
    : options_(options), rules_(rules), judge_rules_(std::move(rules)) {}

std::shared_ptr<const CompiledRules> LiveDetector::rules() const {
  absl::MutexLock lock(&queue_mu_);
  return rules_;
}

int64_t LiveDetector::RetentionUs(const CompiledRules& rules) const {
  if (options_.retention > absl::ZeroDuration()) return absl::ToInt64Microseconds(options_.retention);
  return 2 * rules.max_window_us;
}

absl::Duration LiveDetector::retention() const {
  absl::MutexLock lock(&queue_mu_);
  return absl::Microseconds(RetentionUs(*rules_));
}

void LiveDetector::Observe(absl::string_view agent_id, EventRange events) {
  absl::MutexLock lock(&queue_mu_);
  events_observed_ += events.size();
  const uint32_t agent = queue_agents_.Intern(agent_id);
  for (const cleansweep::v1::Event& e : events) {
    std::optional<HostFact> hf = ExtractFact(*rules_, agent, e);
    if (hf) queue_.push_back(Queued{hf->host, hf->fact});
  }
}

LiveDetector::Classified LiveDetector::Classify(absl::string_view agent_id,
                                                EventRange events) const {
  Classified out;
  uint32_t agent = 0;
  {
    absl::MutexLock lock(&queue_mu_);
    out.rules = rules_;
    agent = queue_agents_.Intern(agent_id);
  }
  out.events = events.size();
  for (const cleansweep::v1::Event& e : events) {
    std::optional<HostFact> hf = ExtractFact(*out.rules, agent, e);
    if (hf) out.facts.push_back(Classified::Entry{hf->host, hf->fact});
  }
  return out;
}

void LiveDetector::Admit(Classified classified, absl::string_view agent_id, EventRange events) {
  {
    absl::MutexLock lock(&queue_mu_);
    if (classified.rules == rules_) {
      events_observed_ += classified.events;
      for (Classified::Entry& f : classified.facts) queue_.push_back(Queued{f.host, f.fact});
      return;
    }
  }
  Observe(agent_id, events);  // new rules meanwhile: classified with them
}

void LiveDetector::SetRules(std::shared_ptr<const CompiledRules> rules) {
  absl::MutexLock judge(&judge_mu_);
  absl::MutexLock lock(&queue_mu_);
  rules_ = rules;
  judge_rules_ = std::move(rules);
  queue_.clear();
  for (auto& [address, host] : hosts_) host.facts.clear();
  stats_.facts_held = 0;
}

bool LiveDetector::Reconcile(Host& host, std::vector<Finding> fresh, int64_t horizon_us,
                             size_t max_findings) {
  std::vector<Finding>& published = host.published;
  std::vector<bool> matched(published.size(), false);
  bool changed = false;
  std::vector<Finding> added;
  for (Finding& f : fresh) {
    size_t p = 0;
    while (p < published.size() && (matched[p] || !Overlaps(published[p], f))) ++p;
    if (p == published.size()) {
      added.push_back(std::move(f));
      changed = true;
      continue;
    }
    matched[p] = true;
    const Finding& old = published[p];
    if (Us(old.first_time()) < Us(f.first_time())) {
      // The episode began before the retained facts: keep its beginning.
      *f.mutable_first_time() = old.first_time();
      *f.mutable_fired_time() = old.fired_time();
      f.set_agent_id(old.agent_id());
      f.set_peak(std::max(f.peak(), old.peak()));
      f.set_total(std::max(f.total(), old.total()));
      f.set_attempts(std::max(f.attempts(), old.attempts()));
      f.set_failed(std::max(f.failed(), old.failed()));
      *f.mutable_evidence() = old.evidence();
    }
    if (!SameFinding(old, f)) {
      published[p] = std::move(f);
      changed = true;
    }
  }
  // A published finding inside the retention that no fresh one matches was
  // merged into another by a late fact; one before it is final.
  std::vector<Finding> kept;
  for (size_t p = 0; p < published.size(); ++p) {
    if (!matched[p] && Us(published[p].last_time()) >= horizon_us) {
      changed = true;
      continue;
    }
    kept.push_back(std::move(published[p]));
  }
  for (Finding& f : added) kept.push_back(std::move(f));
  SortFindings(&kept);
  if (kept.size() > max_findings) kept.erase(kept.begin(), kept.end() - max_findings);
  published = std::move(kept);
  return changed;
}

std::vector<HostFindings> LiveDetector::Judge() {
  absl::MutexLock judge(&judge_mu_);
  std::vector<Queued> queued;
  {
    absl::MutexLock lock(&queue_mu_);
    queued.swap(queue_);
    for (; agents_copied_ < queue_agents_.size(); ++agents_copied_) {
      agents_.Intern(queue_agents_.Name(static_cast<uint32_t>(agents_copied_)));
    }
    stats_.events_observed = events_observed_;
  }
  const CompiledRules& rules = *judge_rules_;

  absl::flat_hash_map<IpAddress, size_t> dirty;  // host -> facts before this round
  for (const Queued& q : queued) {
    auto it = hosts_.find(q.host);
    if (it == hosts_.end()) {
      if (hosts_.size() >= options_.max_hosts) {
        ++stats_.facts_dropped_host_limit;
        continue;
      }
      it = hosts_.emplace(q.host, Host{}).first;
    }
    dirty.try_emplace(q.host, it->second.facts.size());
    stats_.newest_time_us = std::max(stats_.newest_time_us, q.fact.time_us);
    it->second.facts.push_back(q.fact);
  }

  auto before = [this](const Fact& a, const Fact& b) { return FactBefore(a, b, agents_); };
  const int64_t retention_us = RetentionUs(rules);
  std::vector<IpAddress> order;
  for (const auto& [address, old_size] : dirty) order.push_back(address);
  std::sort(order.begin(), order.end());

  std::vector<HostFindings> out;
  for (const IpAddress& address : order) {
    Host& host = hosts_[address];
    std::vector<Fact>& facts = host.facts;
    const size_t old_size = dirty[address];
    // The timeline was sorted; sort what arrived and merge it in.
    std::sort(facts.begin() + static_cast<std::ptrdiff_t>(old_size), facts.end(), before);
    std::inplace_merge(facts.begin(), facts.begin() + static_cast<std::ptrdiff_t>(old_size),
                       facts.end(), before);
    const size_t n = facts.size();
    facts.erase(std::unique(facts.begin(), facts.end(),
                            [](const Fact& a, const Fact& b) {
                              return a.agent == b.agent && a.sequence == b.sequence;
                            }),
                facts.end());
    stats_.duplicates += n - facts.size();
    stats_.facts_judged += facts.size() - std::min(old_size, facts.size());
    // Retention: drop what is older than the newest fact minus the retention,
    // then the oldest beyond the per-host cap.
    const int64_t horizon = facts.back().time_us - retention_us;
    auto keep_from = std::find_if(facts.begin(), facts.end(),
                                  [horizon](const Fact& f) { return f.time_us >= horizon; });
    const size_t cap = std::min(options_.max_facts_per_host,
                                std::max<size_t>(1024, options_.max_total_facts / hosts_.size()));
    if (static_cast<size_t>(facts.end() - keep_from) > cap) {
      keep_from = facts.end() - static_cast<std::ptrdiff_t>(cap);
    }
    stats_.facts_evicted += static_cast<uint64_t>(keep_from - facts.begin());
    facts.erase(facts.begin(), keep_from);

    std::vector<Finding> fresh;
    JudgeHost(rules, agents_, address, facts, &fresh);
    SortFindings(&fresh);
    if (Reconcile(host, std::move(fresh), facts.front().time_us, options_.max_findings_per_host)) {
      out.push_back(HostFindings{address.ToString(), host.published});
    }
  }
  stats_.hosts = hosts_.size();
  stats_.facts_held = 0;
  for (const auto& [address, host] : hosts_) stats_.facts_held += host.facts.size();
  return out;
}

std::vector<Finding> LiveDetector::Current() const {
  absl::MutexLock judge(&judge_mu_);
  std::vector<Finding> all;
  for (const auto& [address, host] : hosts_) {
    all.insert(all.end(), host.published.begin(), host.published.end());
  }
  SortFindings(&all);
  return all;
}

LiveDetectorStats LiveDetector::stats() const {
  absl::MutexLock judge(&judge_mu_);
  return stats_;
}

}  // namespace cleansweep::collector
