// Host facts end to end: the uplink with this machine's CollectHostFacts as
// provider reports to the real collector over TLS; the collector keeps the
// facts from Hello, and a change (an address added) arrives as a HostFacts
// message and shows in the address history.
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "agent/hostinfo/host_facts.h"
#include "agent/uplink/uplink.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::CollectHostFacts;
using cleansweep::agent::SameHostFacts;
using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using cleansweep::v1::HostFacts;

TEST(HostFactsUplinkTest, CollectorKeepsHelloFactsAndChanges) {
  TlsCollectorEnv env;
  auto collector = env.StartCollector();
  ASSERT_NE(collector, nullptr);

  // This machine's facts; the test then adds an address to them.
  std::mutex mu;
  HostFacts facts = CollectHostFacts();
  ASSERT_GT(facts.interfaces_size(), 0);
  int calls = 0;
  UplinkOptions o = env.EnrolledOptions(*collector, "ws-facts");
  ASSERT_FALSE(o.token.empty());
  o.host_facts_interval = absl::Milliseconds(20);
  o.host_facts_provider = [&] {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    return facts;
  };
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(SimpleSmtpEvent(1));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok())
      << collector->stderr_text();

  HostFacts changed;
  int at_change = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    changed = facts;
    changed.mutable_interfaces(0)->add_addresses("198.51.100.77");
    agent::CanonicalizeHostFacts(&changed);
    facts = changed;
    at_change = calls;
  }
  // Two collections after the change: the first one's report is written
  // before the second starts; the event after it is acknowledged only after
  // the collector has handled everything before it on the stream.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (calls >= at_change + 2) break;
    }
    ASSERT_LT(absl::Now(), deadline);
    absl::SleepFor(absl::Milliseconds(5));
  }
  uplink.Enqueue(SimpleSmtpEvent(2));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok());
  uplink.Stop();
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();

  collector::SqliteOptions ro;
  ro.read_only = true;
  ro.create = false;
  auto store = collector::OpenSqliteEventStore(env.db(), ro);
  ASSERT_TRUE(store.ok()) << store.status();
  auto stored = (*store)->ListHostFacts();
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].agent_id, "ws-facts");
  EXPECT_TRUE(SameHostFacts((*stored)[0].facts, changed)) << (*stored)[0].facts.DebugString();

  collector::AddressHistoryFilter filter;
  filter.ip = "198.51.100.77";
  auto history = (*store)->ListAddressHistory(filter);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].agent_id, "ws-facts");
  EXPECT_EQ((*history)[0].interface, changed.interfaces(0).name());
  EXPECT_EQ((*history)[0].hostname, changed.hostname());
  // An address from Hello was seen before the added one.
  const std::string first_address =
      facts.interfaces(0).addresses_size() > 1 ? facts.interfaces(0).addresses(0) : "";
  if (!first_address.empty() && first_address != "198.51.100.77") {
    filter.ip = first_address;
    auto earlier = (*store)->ListAddressHistory(filter);
    ASSERT_TRUE(earlier.ok()) << earlier.status();
    ASSERT_FALSE(earlier->empty());
    EXPECT_LT(earlier->front().first_seen, (*history)[0].first_seen);
  }
}

}  // namespace
}  // namespace cleansweep::testing
