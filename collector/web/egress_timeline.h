// A host's SMTP egress over the last 24 hours, per clock hour: how many SMTP
// connections went through the site's approved relays, directly to outside
// servers, or to other internal servers — the picture that tells a healthy
// workstation (all relay) from a mass-mailer (a wall of direct).
// Classification is the audit's (egress.h): the destination's address
// against the rules' relays and internal networks. Without rules
// (serve without --rules) nothing can be classified and every connection
// counts as "unclassified". Pure; thread-safe.
//
// Buckets: 24 clock hours (UTC), the last one the hour containing `now`
// (still filling). JSON:
//   {"from":"2026-11-26T13:00:00Z","to":"2026-11-27T13:00:00Z","bucketSeconds":3600,
//    "classified":true,"events":123,"truncated":false,
//    "buckets":[{"start":"2026-11-26T13:00:00Z","relay":4,"direct":0,"internal":1,
//                "unclassified":0}, ...]}
#ifndef CLEANSWEEP_COLLECTOR_WEB_EGRESS_TIMELINE_H_
#define CLEANSWEEP_COLLECTOR_WEB_EGRESS_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/detect/compiled_rules.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector::web {

inline constexpr int kEgressHours = 24;

struct EgressBucket {
  absl::Time start;
  uint64_t relay = 0;
  uint64_t direct = 0;
  uint64_t internal = 0;
  uint64_t unclassified = 0;
};

struct EgressTimeline {
  absl::Time from;  // start of the first bucket
  absl::Time to;    // end of the last
  bool classified = false;
  uint64_t events = 0;     // SMTP connections counted
  bool truncated = false;  // set by the caller when it read only part of the events
  std::vector<EgressBucket> buckets;
};

// The first bucket's start for `now`: the clock hour 23 hours before now's.
absl::Time EgressFrom(absl::Time now);

// Counts the SMTP events of `events` whose time falls in the buckets;
// other kinds and other times are ignored. `rules` may be null.
EgressTimeline SmtpEgressTimeline(absl::Span<const StoredEvent> events,
                                  const CompiledRules* rules, absl::Time now);

std::string EgressTimelineJson(const EgressTimeline& timeline);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_EGRESS_TIMELINE_H_
