#include "collector/web/egress_timeline.h"

#include "collector/detect/ip_address.h"
#include "collector/web/json_writer.h"

namespace cleansweep::collector::web {
namespace {

absl::Time EventTime(const cleansweep::v1::Event& e) {
  return absl::FromUnixSeconds(e.time().seconds()) + absl::Nanoseconds(e.time().nanos());
}

}  // namespace

absl::Time EgressFrom(absl::Time now) {
  const absl::Time hour = absl::FromUnixSeconds(absl::ToUnixSeconds(now) / 3600 * 3600);
  return hour - absl::Hours(kEgressHours - 1);
}

EgressTimeline SmtpEgressTimeline(absl::Span<const StoredEvent> events,
                                  const CompiledRules* rules, absl::Time now) {
  EgressTimeline t;
  t.from = EgressFrom(now);
  t.to = t.from + absl::Hours(kEgressHours);
  t.classified = rules != nullptr;
  for (int i = 0; i < kEgressHours; ++i) t.buckets.push_back({t.from + absl::Hours(i)});
  for (const StoredEvent& se : events) {
    const cleansweep::v1::Event& e = se.event;
    if (!e.has_smtp() || !e.has_time()) continue;
    const absl::Time at = EventTime(e);
    if (at < t.from || at >= t.to) continue;
    EgressBucket& b = t.buckets[static_cast<size_t>(absl::ToInt64Hours(at - t.from))];
    ++t.events;
    if (rules == nullptr) {
      ++b.unclassified;
      continue;
    }
    const std::optional<IpAddress> dst = ParseIpAddress(e.smtp().server().ip());
    if (dst && rules->relays.Contains(*dst)) {
      ++b.relay;
    } else if (dst && rules->internal.Contains(*dst)) {
      ++b.internal;
    } else {
      ++b.direct;
    }
  }
  return t;
}

std::string EgressTimelineJson(const EgressTimeline& t) {
  JsonWriter w;
  w.BeginObject()
      .Key("from").Time(t.from)
      .Key("to").Time(t.to)
      .Key("bucketSeconds").Int(3600)
      .Key("classified").Bool(t.classified)
      .Key("events").Uint(t.events)
      .Key("truncated").Bool(t.truncated)
      .Key("buckets").BeginArray();
  for (const EgressBucket& b : t.buckets) {
    w.BeginObject()
        .Key("start").Time(b.start)
        .Key("relay").Uint(b.relay)
        .Key("direct").Uint(b.direct)
        .Key("internal").Uint(b.internal)
        .Key("unclassified").Uint(b.unclassified)
        .EndObject();
  }
  w.EndArray().EndObject();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
