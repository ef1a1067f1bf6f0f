// Bucket indices and counts are worked out by hand from the event times.
#include "collector/web/egress_timeline.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

// 2026-11-27T12:34:56Z: the last bucket is 12:00-13:00, the first
// 2026-11-26T13:00:00Z.
const absl::Time kNow = absl::FromUnixSeconds(1795780800 + 34 * 60 + 56);

StoredEvent Smtp(absl::Time t, const char* server) {
  StoredEvent e;
  e.agent_id = "a1";
  e.event.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  e.event.mutable_smtp()->mutable_client()->set_ip("10.0.0.5");
  e.event.mutable_smtp()->mutable_server()->set_ip(server);
  e.event.mutable_smtp()->mutable_server()->set_port(25);
  return e;
}

TEST(EgressTimelineTest, ClockHoursEndingWithTheCurrentOne) {
  EXPECT_EQ(EgressFrom(kNow), absl::FromUnixSeconds(1795780800) - absl::Hours(23));
  EgressTimeline t = SmtpEgressTimeline({}, nullptr, kNow);
  ASSERT_EQ(t.buckets.size(), 24u);
  EXPECT_EQ(t.buckets[23].start, absl::FromUnixSeconds(1795780800));
  EXPECT_EQ(t.to, absl::FromUnixSeconds(1795780800) + absl::Hours(1));
  EXPECT_FALSE(t.classified);
}

TEST(EgressTimelineTest, RelayDirectAndInternalPerHour) {
  CompiledRules rules;
  rules.relays.Add(*ParseCidr("10.0.0.25", true));
  rules.internal.Add(*ParseCidr("10.0.0.0/8", false));
  const absl::Time noon = absl::FromUnixSeconds(1795780800);  // 12:00Z, bucket 23
  std::vector<StoredEvent> events = {
      Smtp(noon + absl::Minutes(1), "10.0.0.25"),        // 23 relay
      Smtp(noon + absl::Minutes(2), "10.0.0.25"),        // 23 relay
      Smtp(noon - absl::Minutes(1), "203.0.113.9"),      // 22 direct (11:59)
      Smtp(noon - absl::Hours(23), "10.1.2.3"),          // 0 internal (13:00 the day before)
      Smtp(noon - absl::Hours(23) - absl::Seconds(1), "203.0.113.9"),  // before: ignored
      Smtp(noon + absl::Hours(1), "203.0.113.9"),        // after: ignored
  };
  StoredEvent dns;
  dns.event.mutable_time()->set_seconds(absl::ToUnixSeconds(noon));
  dns.event.mutable_dns()->set_name("example.com");
  events.push_back(dns);  // not SMTP: ignored

  EgressTimeline t = SmtpEgressTimeline(events, &rules, kNow);
  EXPECT_TRUE(t.classified);
  EXPECT_EQ(t.events, 4u);
  EXPECT_EQ(t.buckets[23].relay, 2u);
  EXPECT_EQ(t.buckets[22].direct, 1u);
  EXPECT_EQ(t.buckets[0].internal, 1u);
  uint64_t sum = 0;
  for (const EgressBucket& b : t.buckets) sum += b.relay + b.direct + b.internal + b.unclassified;
  EXPECT_EQ(sum, 4u);

  EgressTimeline plain = SmtpEgressTimeline(events, nullptr, kNow);
  EXPECT_EQ(plain.buckets[23].unclassified, 2u);
  EXPECT_EQ(plain.buckets[23].relay, 0u);

  const std::string json = EgressTimelineJson(t);
  EXPECT_THAT(json, ::testing::StartsWith(
                        R"({"from":"2026-11-26T13:00:00Z","to":"2026-11-27T13:00:00Z",)"
                        R"("bucketSeconds":3600,"classified":true,"events":4,"truncated":false,)"
                        R"("buckets":[{"start":"2026-11-26T13:00:00Z","relay":0,"direct":0,)"
                        R"("internal":1,"unclassified":0},)"));
  EXPECT_THAT(json, ::testing::EndsWith(
                        R"({"start":"2026-11-27T12:00:00Z","relay":2,"direct":0,"internal":0,)"
                        R"("unclassified":0}]})"));
}

}  // namespace
}  // namespace cleansweep::collector::web
