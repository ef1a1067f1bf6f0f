// `cleansweep-collector addresses` and the new `hosts` columns as an operator
// runs them: the real binary on a SQLite file filled through the store API.
// Expected rows are worked out by hand from the report times below.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/support/agent_runner.h"

namespace cleansweep::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2026-11-20T09:00:00Z, 10:00, 11:00, 11:30.
const absl::Time k0900 = absl::FromUnixSeconds(1795165200);
const absl::Time k1000 = k0900 + absl::Hours(1);
const absl::Time k1100 = k0900 + absl::Hours(2);
const absl::Time k1130 = k1100 + absl::Minutes(30);

cleansweep::v1::HostFacts Facts(const std::string& hostname, const std::string& mac,
                                const std::string& address) {
  cleansweep::v1::HostFacts f;
  f.set_hostname(hostname);
  auto* i = f.add_interfaces();
  i->set_name("eth0");
  i->set_mac(mac);
  i->add_addresses(address);
  return f;
}

class AddressesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = collector::OpenSqliteEventStore(Path("c.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    collector::EventStore& s = **store;
    // ws1 (agent a1) holds 10.0.0.7 from 09:00 (seen again 10:00) until it
    // reports 10.0.0.8 at 11:00; ws2 (agent a2) takes 10.0.0.7 at 11:30.
    ASSERT_TRUE(s.UpsertAgent({"a1", "ws1", "1.0", "test"}, k0900).ok());
    ASSERT_TRUE(s.UpsertAgent({"a2", "ws2", "1.0", "test"}, k1130).ok());
    ASSERT_TRUE(s.RecordHostFacts("a1", Facts("ws1", "00:11:22:33:44:55", "10.0.0.7"), k0900).ok());
    ASSERT_TRUE(s.RecordHostFacts("a1", Facts("ws1", "00:11:22:33:44:55", "10.0.0.7"), k1000).ok());
    ASSERT_TRUE(s.RecordHostFacts("a1", Facts("ws1", "00:11:22:33:44:55", "10.0.0.8"), k1100).ok());
    ASSERT_TRUE(s.RecordHostFacts("a2", Facts("ws2", "00:aa:bb:cc:dd:ee", "10.0.0.7"), k1130).ok());
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), CollectorBinary());
    return RunProcess(args);
  }
  static std::vector<std::string> Lines(const std::string& text) {
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

  TempDir dir_;
};

TEST_F(AddressesCliTest, WhichHostHadTheAddressAtATime) {
  ProcessResult r =
      Run({"addresses", "--db", Path("c.db"), "--ip", "10.0.0.7", "--at", "2026-11-20T10:30:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto lines = Lines(r.stdout_text);
  ASSERT_EQ(lines.size(), 2u) << r.stdout_text;
  EXPECT_THAT(lines[0], HasSubstr("FROM"));
  EXPECT_THAT(lines[1], HasSubstr("2026-11-20T09:00:00Z  2026-11-20T10:00:00Z  "
                                  "2026-11-20T11:00:00Z  ws1"));
  EXPECT_THAT(lines[1], HasSubstr("00:11:22:33:44:55  10.0.0.7"));

  ProcessResult later = Run({"addresses", "--db", Path("c.db"), "--ip", "10.0.0.7", "--at",
                             "2026-11-20T11:45:00Z", "--json"});
  ASSERT_EQ(later.exit_code, 0) << later.stderr_text;
  EXPECT_THAT(Lines(later.stdout_text),
              ElementsAre("{\"address\":\"10.0.0.7\",\"agentId\":\"a2\",\"hostname\":\"ws2\","
                          "\"interface\":\"eth0\",\"mac\":\"00:aa:bb:cc:dd:ee\","
                          "\"firstSeen\":\"2026-11-20T11:30:00Z\","
                          "\"lastSeen\":\"2026-11-20T11:30:00Z\",\"validTo\":null,"
                          "\"firstObserved\":\"2026-11-20T11:30:00Z\","
                          "\"lastObserved\":\"2026-11-20T11:30:00Z\",\"closedObserved\":null}"));

  // Between the two: nobody (a1 gave it up at 11:00, a2 took it at 11:30).
  ProcessResult gap = Run({"addresses", "--db", Path("c.db"), "--ip", "10.0.0.7", "--at",
                           "2026-11-20T11:15:00Z", "--json"});
  ASSERT_EQ(gap.exit_code, 0) << gap.stderr_text;
  EXPECT_EQ(gap.stdout_text, "");
}

TEST_F(AddressesCliTest, AddressesOfAHostOverTime) {
  ProcessResult r = Run({"addresses", "--db", Path("c.db"), "--host", "WS1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto lines = Lines(r.stdout_text);
  ASSERT_EQ(lines.size(), 2u) << r.stdout_text;
  EXPECT_THAT(lines[0], HasSubstr("\"address\":\"10.0.0.7\",\"agentId\":\"a1\""));
  EXPECT_THAT(lines[0], HasSubstr("\"validTo\":\"2026-11-20T11:00:00Z\""));
  EXPECT_THAT(lines[1], HasSubstr("\"address\":\"10.0.0.8\",\"agentId\":\"a1\""));
  EXPECT_THAT(lines[1], HasSubstr("\"validTo\":null"));
  // Everything, oldest first.
  ProcessResult all = Run({"addresses", "--db", Path("c.db")});
  ASSERT_EQ(all.exit_code, 0) << all.stderr_text;
  EXPECT_EQ(Lines(all.stdout_text).size(), 4u);  // header + 3 periods
}

TEST_F(AddressesCliTest, HostsShowsTheCurrentAddress) {
  ProcessResult r = Run({"hosts", "--db", Path("c.db"), "--now", "2026-11-20T12:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  auto lines = Lines(r.stdout_text);
  ASSERT_EQ(lines.size(), 3u) << r.stdout_text;
  EXPECT_THAT(lines[0], HasSubstr("ADDRESS"));
  EXPECT_THAT(lines[1], HasSubstr("10.0.0.8"));
  EXPECT_THAT(lines[2], HasSubstr("10.0.0.7"));
}

TEST_F(AddressesCliTest, BadArgumentsAndMissingDatabase) {
  ProcessResult bad_ip = Run({"addresses", "--db", Path("c.db"), "--ip", "10.0.0.300"});
  EXPECT_EQ(bad_ip.exit_code, 2);
  EXPECT_THAT(bad_ip.stderr_text, HasSubstr("--ip"));
  ProcessResult bad_at = Run({"addresses", "--db", Path("c.db"), "--at", "someday"});
  EXPECT_EQ(bad_at.exit_code, 2);
  EXPECT_THAT(bad_at.stderr_text, HasSubstr("--at"));
  ProcessResult missing = Run({"addresses", "--db", Path("missing.db")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.stderr_text, HasSubstr("missing.db"));
}

}  // namespace
}  // namespace cleansweep::testing
