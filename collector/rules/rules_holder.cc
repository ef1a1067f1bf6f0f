#include "collector/rules/rules_holder.h"

#include <utility>

namespace cleansweep::collector {

absl::StatusOr<std::unique_ptr<RulesHolder>> RulesHolder::Open(std::string dir) {
  absl::StatusOr<RuleSet> rules = LoadRuleSet(dir);
  if (!rules.ok()) return rules.status();
  return std::make_unique<RulesHolder>(std::move(dir), *std::move(rules));
}

RulesHolder::RulesHolder(std::string dir, RuleSet initial)
    : dir_(std::move(dir)), current_(std::make_shared<const RuleSet>(std::move(initial))) {}

std::shared_ptr<const RuleSet> RulesHolder::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

uint64_t RulesHolder::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

absl::Status RulesHolder::Reload() {
  // One reload at a time, so that subscribers see the sets in the order they
  // became current even when two threads reload at once.
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  absl::StatusOr<RuleSet> loaded = LoadRuleSet(dir_);
  if (!loaded.ok()) return loaded.status();
  auto next = std::make_shared<const RuleSet>(*std::move(loaded));
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = next;
    ++generation_;
  }
  // Outside mu_: readers keep going while subscribers work, and a subscriber
  // may read Current().
  for (const Subscriber& s : subscribers_) s(next);
  return absl::OkStatus();
}

void RulesHolder::Subscribe(Subscriber callback) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  subscribers_.push_back(std::move(callback));
}

}  // namespace cleansweep::collector
