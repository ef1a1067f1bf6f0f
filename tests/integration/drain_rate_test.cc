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
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/integration/enroll_for_test.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using cleansweep::v1::Event;

constexpr uint64_t kEvents = 3000;
constexpr double kRate = 1000;     // events/s
constexpr size_t kBatch = 500;     // also the burst: min(batch, rate)

Event MakeEvent(uint64_t seq) {
  Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  e.set_interface("eth0");
  auto* s = e.mutable_smtp();
  s->mutable_client()->set_ip("10.0.0.5");
  s->mutable_client()->set_port(static_cast<uint32_t>(1024 + seq % 60000));
  s->mutable_server()->set_ip("192.0.2.25");
  s->mutable_server()->set_port(25);
  return e;
}

class DrainRateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakePki(dir_.path());
    ca_pem_ = ReadFileOrDie(pki("ca.pem"));
  }

  std::string pki(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string db() const { return dir_.path() + "/c.db"; }

  std::unique_ptr<CollectorProcess> StartCollector(const std::string& listen) {
    return CollectorProcess::Start({"--db", db(), "--listen", listen, "--tls-cert",
                                    pki("server.pem"), "--tls-key", pki("server.key"),
                                    "--enroll-secret-file", pki("enroll-secret")},
                                   pki("collector.log"));
  }

  // Queues kEvents while the collector is down, brings it back on the same
  // port, waits until everything is acknowledged; returns the agent's stored
  // events.
  std::vector<collector::StoredEvent> DrainAfterOutage(const std::string& agent_id, double rate) {
    auto first = StartCollector("127.0.0.1:0");
    if (first == nullptr) return {};
    const int port = first->port();
    UplinkOptions o;
    o.collector_addresses = {first->address()};
    o.ca_pem = ca_pem_;
    o.token = EnrollOrDie(first->address(), ca_pem_, pki("enroll-secret"), agent_id);
    o.agent_id = agent_id;
    o.hostname = "ws-drain";
    o.version = "0.1.0";
    o.max_batch_events = kBatch;
    o.max_events_per_second = rate;
    EXPECT_EQ(first->Terminate(), 0) << first->stderr_text();

    Uplink uplink(o, nullptr, nullptr);
    EXPECT_TRUE(uplink.Start().ok());
    for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(MakeEvent(s));
    // The outage is real: nothing can be acknowledged now.
    absl::Status early = uplink.WaitAllAcked(absl::Now() + absl::Milliseconds(300));
    EXPECT_EQ(early.code(), absl::StatusCode::kDeadlineExceeded) << early;

    auto second = StartCollector(absl::StrCat("127.0.0.1:", port));
    if (second == nullptr) return {};
    absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(120));
    EXPECT_TRUE(acked.ok()) << acked << "\n" << second->stderr_text();
    EXPECT_EQ(uplink.acked_sequence(), kEvents);
    uplink.Stop();
    EXPECT_EQ(second->Terminate(), 0);

    collector::SqliteOptions ro;
    ro.read_only = true;
    ro.create = false;
    auto store = collector::OpenSqliteEventStore(db(), ro);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    collector::EventFilter filter;
    filter.agent_id = agent_id;
    auto events = (*store)->ListEvents(filter);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<collector::StoredEvent>{};
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

  TempDir dir_;
  std::string ca_pem_;
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
