// Named counters of malformed or unexpected input ("ipv4_truncated",
// "dns_pointer_loop", ...). Malformed traffic is counted and skipped, never
// asserted on; the counters travel in every heartbeat and `--stats`.
// Not thread-safe: one instance per pipeline thread.
#ifndef CLEANSWEEP_AGENT_DECODE_ANOMALY_COUNTERS_H_
#define CLEANSWEEP_AGENT_DECODE_ANOMALY_COUNTERS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace cleansweep::agent {

class AnomalyCounters {
 public:
  // `name` is a lower_snake_case identifier naming what was wrong.
  void Count(absl::string_view name, uint64_t n = 1) { counts_[name] += n; }
  uint64_t Get(absl::string_view name) const {
    auto it = counts_.find(name);
    return it == counts_.end() ? 0 : it->second;
  }
  uint64_t Total() const {
    uint64_t t = 0;
    for (const auto& [k, v] : counts_) t += v;
    return t;
  }
  // Sorted by name, for stable output.
  std::map<std::string, uint64_t> Snapshot() const {
    return std::map<std::string, uint64_t>(counts_.begin(), counts_.end());
  }

 private:
  absl::flat_hash_map<std::string, uint64_t> counts_;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_ANOMALY_COUNTERS_H_
