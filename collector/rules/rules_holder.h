// RulesHolder: the rule set currently in force for a running collector, and
// how it changes (e.g. on SIGHUP).
//
//   auto holder = RulesHolder::Open("rules");      // fails like LoadRuleSet
//   holder->Subscribe([](std::shared_ptr<const RuleSet> rules) { ... });
//   std::shared_ptr<const RuleSet> now = holder->Current();
//   absl::Status s = holder->Reload();              // re-reads the directory
//
// Contract:
//  - Current() is never null and always a fully validated RuleSet (what
//    LoadRuleSet returned). The pointer stays valid for as long as the caller
//    keeps it, whatever reloads happen meanwhile: hold it for the duration of
//    one evaluation and you see one consistent set.
//  - Reload() re-reads the directory with LoadRuleSet. All or nothing: on
//    success the new set replaces the old one (generation() + 1) and every
//    subscriber is called with it; on failure nothing changes, no subscriber
//    is called, and the Status is LoadRuleSet's (RuleErrors() splits it into
//    its "FILE:LINE:COLUMN: ..." lines). A reload of unchanged files is still
//    a success (same digest, next generation).
//  - Subscribe(callback): the callback runs after every later successful
//    swap, with the new set (== Current() at that moment), on the thread that
//    called Reload(), one subscriber after another in subscription order.
//    It is NOT called for the set in force when subscribing: subscribe first,
//    then read Current(), and no set is missed (at worst one is seen twice).
//    Callbacks should be quick (hand the set over, do not evaluate with it);
//    they may call Current() and generation() but must not call Reload() or
//    Subscribe() (that deadlocks). There is no unsubscribe: subscribers must
//    outlive the holder, or at least its last Reload().
//  - generation(): 1 after Open, incremented by each successful Reload.
//
// Thread-safety: every method may be called from any thread. Reloads are
// serialized (one at a time, their callbacks included); Current() and
// generation() never wait for a reload's file reads or callbacks.
#ifndef CLEANSWEEP_COLLECTOR_RULES_RULES_HOLDER_H_
#define CLEANSWEEP_COLLECTOR_RULES_RULES_HOLDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/rules/rule_loader.h"

namespace cleansweep::collector {

class RulesHolder {
 public:
  using Subscriber = std::function<void(std::shared_ptr<const RuleSet>)>;

  // Loads `dir` (LoadRuleSet); its Status when the rules are not valid.
  static absl::StatusOr<std::unique_ptr<RulesHolder>> Open(std::string dir);

  // Holds an already validated set, e.g. one built by a test. Reload() reads
  // `dir`.
  RulesHolder(std::string dir, RuleSet initial);

  RulesHolder(const RulesHolder&) = delete;
  RulesHolder& operator=(const RulesHolder&) = delete;

  std::shared_ptr<const RuleSet> Current() const;
  uint64_t generation() const;
  const std::string& dir() const { return dir_; }

  absl::Status Reload();

  void Subscribe(Subscriber callback);

 private:
  const std::string dir_;

  // Serializes Reload() and guards subscribers_; held while callbacks run.
  std::mutex reload_mu_;
  std::vector<Subscriber> subscribers_;

  // Guards the published state only; never held across I/O or callbacks.
  mutable std::mutex mu_;
  std::shared_ptr<const RuleSet> current_;
  uint64_t generation_ = 1;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_RULES_RULES_HOLDER_H_
