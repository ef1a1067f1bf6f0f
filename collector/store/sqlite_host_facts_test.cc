// The store's host facts and address history (schema version 5), and the
// migration that added them. Expected rows are worked out by hand from the
// report times in each test.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/store/sqlite_event_store.h"
#include "collector/store/temp_store_test_util.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::HostFacts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The schema version just before host facts were added.
constexpr int kVersionBeforeHostFacts = 4;

absl::Time T(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

// facts: {interface, mac, {addresses}}...
struct Iface {
  std::string name, mac;
  std::vector<std::string> addresses;
};
HostFacts Facts(const std::string& hostname, std::vector<Iface> interfaces) {
  HostFacts f;
  f.set_hostname(hostname);
  f.set_os("Debian GNU/Linux 12 (bookworm)");
  f.set_kernel("6.1.0-13-amd64");
  for (const Iface& i : interfaces) {
    auto* n = f.add_interfaces();
    n->set_name(i.name);
    n->set_mac(i.mac);
    n->set_up(true);
    for (const std::string& a : i.addresses) n->add_addresses(a);
  }
  return f;
}

// "agent iface mac address first_seen..valid_to" with times as HH:MM (all
// tests run on 2026-11-20) and "open" for a period still held.
std::string Row(const AddressRecord& r) {
  auto hm = [](absl::Time t) { return absl::FormatTime("%H:%M", t, absl::UTCTimeZone()); };
  return absl::StrCat(r.agent_id, "/", r.hostname, " ", r.interface, " ", r.mac, " ", r.address,
                      " ", hm(r.first_seen), "-", hm(r.last_seen), "..",
                      r.valid_to ? hm(*r.valid_to) : "open");
}

class SqliteHostFactsTest : public test_util::TempStoreTest {
 protected:
  std::vector<std::string> History(AddressHistoryFilter filter) {
    auto rows = store_->ListAddressHistory(filter);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const AddressRecord& r : *rows) out.push_back(Row(r));
    }
    return out;
  }
  static AddressHistoryFilter Ip(const std::string& ip, std::optional<absl::Time> at = {}) {
    AddressHistoryFilter f;
    f.ip = ip;
    f.at = at;
    return f;
  }

  // ws1 (agent a1) moves from 10.0.0.7 to 10.0.0.8 at 11:00; ws2 (agent a2)
  // gets 10.0.0.7 at 11:30.
  void RecordMove() {
    ASSERT_TRUE(
        store_->UpsertAgent({"a1", "ws1-hello", "1.0", "p"}, T("2026-11-20T09:00:00Z")).ok());
    ASSERT_TRUE(store_->UpsertAgent({"a2", "ws2", "1.0", "p"}, T("2026-11-20T11:30:00Z")).ok());
    const Iface lo{"lo", "", {"127.0.0.1"}};
    HostFacts before = Facts("ws1", {{"eth0", "00:11:22:33:44:55", {"10.0.0.7", "fe80::1"}}, lo});
    ASSERT_TRUE(store_->RecordHostFacts("a1", before, T("2026-11-20T09:00:00Z")).ok());
    ASSERT_TRUE(store_->RecordHostFacts("a1", before, T("2026-11-20T09:30:00Z")).ok());
    HostFacts after = Facts("ws1", {{"eth0", "00:11:22:33:44:55", {"10.0.0.8", "fe80::1"}}, lo});
    ASSERT_TRUE(store_->RecordHostFacts("a1", after, T("2026-11-20T11:00:00Z")).ok());
    ASSERT_TRUE(store_
                    ->RecordHostFacts("a2",
                                      Facts("ws2", {{"eth0", "00:aa:bb:cc:dd:ee", {"10.0.0.7"}}}),
                                      T("2026-11-20T11:30:00Z"))
                    .ok());
  }

};

TEST_F(SqliteHostFactsTest, WhichHostHadTheAddressWhen) {
  RecordMove();
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T10:00:00Z"))),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 10.0.0.7 09:00-09:30..11:00"));
  // The period ends when the report without it arrived: 11:00 is no longer a1's.
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T11:00:00Z"))), ElementsAre());
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T10:59:59Z"))), ::testing::SizeIs(1));
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T11:30:00Z"))),
              ElementsAre("a2/ws2 eth0 00:aa:bb:cc:dd:ee 10.0.0.7 11:30-11:30..open"));
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T08:59:59Z"))), ElementsAre());
  EXPECT_THAT(History(Ip("10.0.0.7")),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 10.0.0.7 09:00-09:30..11:00",
                          "a2/ws2 eth0 00:aa:bb:cc:dd:ee 10.0.0.7 11:30-11:30..open"));
  EXPECT_THAT(History(Ip("10.0.0.8")),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 10.0.0.8 11:00-11:00..open"));
}

TEST_F(SqliteHostFactsTest, WhichAddressesDidTheHostHave) {
  RecordMove();
  AddressHistoryFilter by_name;
  by_name.host = "WS1";  // the reported hostname, any case
  EXPECT_THAT(History(by_name),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 10.0.0.7 09:00-09:30..11:00",
                          "a1/ws1 eth0 00:11:22:33:44:55 fe80::1 09:00-11:00..open",
                          "a1/ws1 lo  127.0.0.1 09:00-11:00..open",
                          "a1/ws1 eth0 00:11:22:33:44:55 10.0.0.8 11:00-11:00..open"));
  by_name.at = T("2026-11-20T12:00:00Z");
  EXPECT_THAT(History(by_name),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 fe80::1 09:00-11:00..open",
                          "a1/ws1 lo  127.0.0.1 09:00-11:00..open",
                          "a1/ws1 eth0 00:11:22:33:44:55 10.0.0.8 11:00-11:00..open"));
  AddressHistoryFilter by_id;
  by_id.host = "a2";
  EXPECT_THAT(History(by_id),
              ElementsAre("a2/ws2 eth0 00:aa:bb:cc:dd:ee 10.0.0.7 11:30-11:30..open"));
  // The Hello's hostname also names the agent.
  AddressHistoryFilter by_hello;
  by_hello.host = "ws1-hello";
  EXPECT_EQ(History(by_hello).size(), 4u);
  AddressHistoryFilter both = Ip("10.0.0.7");
  both.host = "ws2";
  EXPECT_THAT(History(both),
              ElementsAre("a2/ws2 eth0 00:aa:bb:cc:dd:ee 10.0.0.7 11:30-11:30..open"));
}

TEST_F(SqliteHostFactsTest, AnAddressThatComesBackOpensANewPeriod) {
  const HostFacts with = Facts("ws1", {{"eth0", "", {"10.0.0.7"}}});
  const HostFacts without = Facts("ws1", {{"eth0", "", {}}});
  ASSERT_TRUE(store_->RecordHostFacts("a1", with, T("2026-11-20T09:00:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a1", without, T("2026-11-20T10:00:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a1", without, T("2026-11-20T10:30:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a1", with, T("2026-11-20T11:00:00Z")).ok());
  // No agent row (facts before any Hello): the facts' hostname is shown.
  EXPECT_THAT(History(Ip("10.0.0.7")), ElementsAre("a1/ws1 eth0  10.0.0.7 09:00-09:00..10:00",
                                                   "a1/ws1 eth0  10.0.0.7 11:00-11:00..open"));
  EXPECT_THAT(History(Ip("10.0.0.7", T("2026-11-20T10:15:00Z"))), ElementsAre());
}

TEST_F(SqliteHostFactsTest, MovingToAnotherInterfaceOrMacIsANewPeriod) {
  ASSERT_TRUE(store_
                  ->RecordHostFacts("a1",
                                    Facts("ws1", {{"eth0", "00:11:22:33:44:55", {"10.0.0.7"}}}),
                                    T("2026-11-20T09:00:00Z"))
                  .ok());
  ASSERT_TRUE(store_
                  ->RecordHostFacts("a1",
                                    Facts("ws1", {{"wlan0", "00:11:22:33:44:66", {"10.0.0.7"}}}),
                                    T("2026-11-20T10:00:00Z"))
                  .ok());
  EXPECT_THAT(History(Ip("10.0.0.7")),
              ElementsAre("a1/ws1 eth0 00:11:22:33:44:55 10.0.0.7 09:00-09:00..10:00",
                          "a1/ws1 wlan0 00:11:22:33:44:66 10.0.0.7 10:00-10:00..open"));
}

TEST_F(SqliteHostFactsTest, AgentClockIsKeptBesideTheCollectorClock) {
  // The agent's clock runs 5 minutes behind the collector's.
  HostFacts f = Facts("ws1", {{"eth0", "", {"10.0.0.7"}}});
  f.mutable_time()->set_seconds(absl::ToUnixSeconds(T("2026-11-20T08:55:00Z")));
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T09:00:00Z")).ok());
  f.mutable_time()->set_seconds(absl::ToUnixSeconds(T("2026-11-20T09:25:00Z")));
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T09:30:00Z")).ok());
  HostFacts gone = Facts("ws1", {{"eth0", "", {}}});  // no time: the collector's is used
  ASSERT_TRUE(store_->RecordHostFacts("a1", gone, T("2026-11-20T10:00:00Z")).ok());
  auto rows = store_->ListAddressHistory(Ip("10.0.0.7"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const AddressRecord& r = (*rows)[0];
  EXPECT_EQ(r.first_observed, T("2026-11-20T08:55:00Z"));
  EXPECT_EQ(r.last_observed, T("2026-11-20T09:25:00Z"));
  ASSERT_TRUE(r.closed_observed.has_value());
  EXPECT_EQ(*r.closed_observed, T("2026-11-20T10:00:00Z"));
  EXPECT_EQ(r.first_seen, T("2026-11-20T09:00:00Z"));
  EXPECT_EQ(r.last_seen, T("2026-11-20T09:30:00Z"));
  ASSERT_TRUE(r.valid_to.has_value());
  EXPECT_EQ(*r.valid_to, T("2026-11-20T10:00:00Z"));
}

TEST_F(SqliteHostFactsTest, CollectorClockSteppingBackNeverEndsAPeriodBeforeItsLastSighting) {
  HostFacts f = Facts("ws1", {{"eth0", "", {"10.0.0.7"}}});
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T09:00:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T09:30:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a1", Facts("ws1", {}), T("2026-11-20T09:10:00Z")).ok());
  EXPECT_THAT(History(Ip("10.0.0.7")), ElementsAre("a1/ws1 eth0  10.0.0.7 09:00-09:30..09:30"));
}

TEST_F(SqliteHostFactsTest, CurrentFactsAreReplacedAndNormalized) {
  HostFacts f = Facts("ws1", {{"eth0", "00:1A:2B:3C:4D:5E", {"2001:DB8::0:7"}}});
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T09:00:00Z")).ok());
  f.set_os("Debian GNU/Linux 13 (trixie)");
  ASSERT_TRUE(store_->RecordHostFacts("a1", f, T("2026-11-20T10:00:00Z")).ok());
  ASSERT_TRUE(store_->RecordHostFacts("a0", Facts("ws0", {}), T("2026-11-20T10:00:00Z")).ok());
  auto facts = store_->ListHostFacts();
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 2u);
  EXPECT_EQ((*facts)[0].agent_id, "a0");
  const StoredHostFacts& a1 = (*facts)[1];
  EXPECT_EQ(a1.agent_id, "a1");
  EXPECT_EQ(a1.received_time, T("2026-11-20T10:00:00Z"));
  EXPECT_EQ(a1.facts.hostname(), "ws1");
  EXPECT_EQ(a1.facts.os(), "Debian GNU/Linux 13 (trixie)");
  EXPECT_EQ(a1.facts.kernel(), "6.1.0-13-amd64");
  // Sent without a time: stamped with the collector's.
  EXPECT_EQ(a1.facts.time().seconds(), absl::ToUnixSeconds(T("2026-11-20T10:00:00Z")));
  ASSERT_EQ(a1.facts.interfaces_size(), 1);
  EXPECT_EQ(a1.facts.interfaces(0).mac(), "00:1a:2b:3c:4d:5e");
  EXPECT_THAT(a1.facts.interfaces(0).addresses(), ElementsAre("2001:db8::7"));
  // Queried in any text form.
  EXPECT_EQ(History(Ip("2001:db8:0:0:0:0:0:7")).size(), 1u);
}

TEST_F(SqliteHostFactsTest, InvalidFactsChangeNothing) {
  HostFacts good = Facts("ws1", {{"eth0", "", {"10.0.0.7"}}});
  ASSERT_TRUE(store_->RecordHostFacts("a1", good, T("2026-11-20T09:00:00Z")).ok());
  HostFacts bad = Facts("ws1-renamed", {{"eth0", "", {}}, {"eth1", "00:11:22", {"10.0.0.9"}}});
  absl::Status s = store_->RecordHostFacts("a1", bad, T("2026-11-20T10:00:00Z"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("HostFacts.interfaces[1].mac"));
  EXPECT_THAT(History(Ip("10.0.0.7")), ElementsAre("a1/ws1 eth0  10.0.0.7 09:00-09:00..open"));
  EXPECT_EQ((*store_->ListHostFacts())[0].facts.hostname(), "ws1");

  EXPECT_EQ(store_->RecordHostFacts("", good, T("2026-11-20T10:00:00Z")).code(),
            absl::StatusCode::kInvalidArgument);
  auto bad_filter = store_->ListAddressHistory(Ip("10.0.0.300"));
  EXPECT_EQ(bad_filter.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteHostFactsTest, HistorySurvivesReopen) {
  RecordMove();
  store_.reset();
  SqliteOptions read_only;
  read_only.read_only = true;
  read_only.create = false;
  auto store = OpenSqliteEventStore(path_, read_only);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  EXPECT_EQ(History(Ip("10.0.0.7")).size(), 2u);
}

TEST_F(SqliteHostFactsTest, PreviousVersionFileIsMigratedKeepingItsData) {
  store_.reset();
  std::system(absl::StrCat("rm -f '", path_, "'").c_str());
  {
    SqliteOptions old;
    old.stop_at_version_for_test = kVersionBeforeHostFacts;
    auto store = OpenSqliteEventStore(path_, old);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->UpsertAgent({"a1", "ws1", "1.0", "p"}, T("2026-11-20T08:00:00Z")).ok());
  }
  {
    // Read-only: the old file is refused until migrated.
    SqliteOptions read_only;
    read_only.read_only = true;
    read_only.create = false;
    auto refused = OpenSqliteEventStore(path_, read_only);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  auto store = OpenSqliteEventStore(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  auto agents = store_->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].identity.hostname, "ws1");
  ASSERT_TRUE(store_
                  ->RecordHostFacts("a1", Facts("ws1", {{"eth0", "", {"10.0.0.7"}}}),
                                    T("2026-11-20T09:00:00Z"))
                  .ok());
  EXPECT_THAT(History(Ip("10.0.0.7")), ElementsAre("a1/ws1 eth0  10.0.0.7 09:00-09:00..open"));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), SqliteSchemaVersion());
  EXPECT_GT(SqliteSchemaVersion(), kVersionBeforeHostFacts);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace cleansweep::collector
