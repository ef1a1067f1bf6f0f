// What left each internal host in a window: SMTP through the approved relays,
// SMTP directly to external servers, SMTP to other internal servers, MX
// lookups and worm-port contacts — counts, distinct destination addresses (MX:
// distinct names, case ignored), first and last time. Tallied from the
// detector's facts (fact.h), so the classification is the detector's and one
// pass over the events serves both.
// Not thread-safe; pure apart from memory.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_EGRESS_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_EGRESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/audit.pb.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/fact.h"
#include "collector/detect/ip_address.h"

namespace cleansweep::collector {

class EgressTally {
 public:
  explicit EgressTally(std::shared_ptr<const CompiledRules> rules) : rules_(std::move(rules)) {}

  // Events whose source is not internal are ignored.
  void Add(absl::string_view agent_id, const cleansweep::v1::Event& event);
  // The same from the event's fact (ExtractFact with the same rules).
  void AddFact(absl::string_view agent_id, const HostFact& fact);

  // One entry per internal host that had any activity, ordered by address.
  std::vector<cleansweep::v1::HostEgress> Hosts() const;

 private:
  struct Counter {
    uint64_t count = 0;
    int64_t first_us = 0;
    int64_t last_us = 0;
    absl::flat_hash_set<uint64_t> distinct;  // Fact::key
    void Add(int64_t t_us, uint64_t key);
    void To(cleansweep::v1::ActivityCount* out) const;
  };
  struct Host {
    std::string agent_id;
    Counter via_relay, direct, other, mx, worm;
  };
  std::shared_ptr<const CompiledRules> rules_;
  absl::flat_hash_map<IpAddress, Host> hosts_;  // sorted by address when listed
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_EGRESS_H_
