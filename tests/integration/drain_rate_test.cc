// Issue 3, test 3 at small scale: the collector is unreachable while the
// agent's uplink queues N events; when the collector is back the backlog
// arrives complete, each (agent, sequence) once, and no faster than the
// configured drain rate. The rate is measured on the collector's clock (each
// stored event's received time), not by the test sleeping.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/uplink/uplink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/tls_collector.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using cleansweep::v1::Event;

constexpr uint64_t kEvents = 3000;
constexpr double kRate = 1000;     // events/s
constexpr size_t kBatch = 500;     // also the burst: min(batch, rate)

class DrainRateTest : public ::testing::Test {
 protected:
  // Queues kEvents while the collector is down, brings it back on the same
  // port, waits until everything is acknowledged; returns the agent's stored
  // events.
  std::vector<collector::StoredEvent> DrainAfterOutage(const std::string& agent_id, double rate) {
    auto first = env_.StartCollector();
    if (first == nullptr) return {};
    const int port = first->port();
    UplinkOptions o = env_.EnrolledOptions(*first, agent_id);
    o.hostname = "ws-drain";
    o.max_batch_events = kBatch;
    o.max_events_per_second = rate;
    EXPECT_EQ(first->Terminate(), 0) << first->stderr_text();

    Uplink uplink(o, nullptr, nullptr);
    EXPECT_TRUE(uplink.Start().ok());
    for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
    // The outage is real: nothing can be acknowledged now.
    absl::Status early = uplink.WaitAllAcked(absl::Now() + absl::Milliseconds(300));
    EXPECT_EQ(early.code(), absl::StatusCode::kDeadlineExceeded) << early;

    auto second = env_.StartCollector(absl::StrCat("127.0.0.1:", port));
    if (second == nullptr) return {};
    absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(120));
    EXPECT_TRUE(acked.ok()) << acked << "\n" << second->stderr_text();
    EXPECT_EQ(uplink.acked_sequence(), kEvents);
    uplink.Stop();
    EXPECT_EQ(second->Terminate(), 0);

    return env_.StoredEvents(agent_id);
  }

  // Every sequence 1..kEvents exactly once.
  static void ExpectEachSequenceOnce(const std::vector<collector::StoredEvent>& stored) {
    std::map<uint64_t, int> count;
    for (const auto& e : stored) ++count[e.event.sequence()];
    ASSERT_EQ(count.size(), kEvents);
    EXPECT_EQ(count.begin()->first, 1u);
    EXPECT_EQ(count.rbegin()->first, kEvents);
    for (const auto& [seq, n] : count) EXPECT_EQ(n, 1) << "sequence " << seq;
    EXPECT_EQ(stored.size(), kEvents);
  }

  // Collector receive times, sorted.
  static std::vector<absl::Time> ReceivedTimes(const std::vector<collector::StoredEvent>& stored) {
    std::vector<absl::Time> t;
    for (const auto& e : stored) t.push_back(e.received_time);
    std::sort(t.begin(), t.end());
    return t;
  }

  TlsCollectorEnv env_;
};

TEST_F(DrainRateTest, BacklogArrivesCompleteAndNoFasterThanTheRate) {
  const auto stored = DrainAfterOutage("ws-drain-limited", kRate);
  ExpectEachSequenceOnce(stored);
  const std::vector<absl::Time> t = ReceivedTimes(stored);
  ASSERT_EQ(t.size(), kEvents);
  // The first burst (one batch) goes at once, the rest at the rate. The
  // slack (4% of the span) covers the first batch taking longer from send to
  // commit than the last one (a fresh database, a loaded machine).
  const double span = absl::ToDoubleSeconds(t.back() - t.front());
  const double min_span = (kEvents - kBatch) / kRate;
  EXPECT_GE(span, min_span - 0.1);
  // No one-second window holds more than a burst + the rate's second (+ one
  // batch for two sends stored back to back).
  size_t worst = 0;
  for (size_t i = 0, j = 0; i < t.size(); ++i) {
    while (j < t.size() && t[j] < t[i] + absl::Seconds(1)) ++j;
    worst = std::max(worst, j - i);
  }
  EXPECT_LE(worst, static_cast<size_t>(kRate) + 2 * kBatch);
  std::printf("drain rate %.0f events/s: %llu events over %.3f s on the collector's clock "
              "(%.0f events/s incl. the first burst; min span %.3f s); busiest second %zu\n",
              kRate, static_cast<unsigned long long>(kEvents), span, kEvents / span, min_span,
              worst);
}

TEST_F(DrainRateTest, UnlimitedRateDrainsMuchFaster) {
  const auto stored = DrainAfterOutage("ws-drain-unlimited", 0);
  ExpectEachSequenceOnce(stored);
  const std::vector<absl::Time> t = ReceivedTimes(stored);
  ASSERT_EQ(t.size(), kEvents);
  const double span = absl::ToDoubleSeconds(t.back() - t.front());
  // Less than half the limited run's minimum.
  EXPECT_LT(span, 0.5 * (kEvents - kBatch) / kRate);
  std::printf("unlimited: %llu events over %.3f s on the collector's clock\n",
              static_cast<unsigned long long>(kEvents), span);
}

}  // namespace
}  // namespace cleansweep::testing
