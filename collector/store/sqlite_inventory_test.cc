// The store's inventory, heartbeat-range and lost-gap queries, and the
// forward migration that added the inventory (schema version 2).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;

class SqliteInventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_inventory_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c.db";
  }
  void TearDown() override { std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  EventStorePtr OpenOrDie() {
    auto store = OpenSqliteEventStore(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  static cleansweep::v1::Heartbeat Beat(int64_t seconds, uint64_t received) {
    cleansweep::v1::Heartbeat h;
    h.mutable_time()->set_seconds(seconds);
    h.set_interval_seconds(30);
    auto* i = h.add_interfaces();
    i->set_name("eth0");
    i->set_received(received);
    i->set_up(true);
    return h;
  }

  std::string dir_, path_;
  const absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  const AgentIdentity agent_{"ws1", "ws1.example", "1.0", "ipv4:10.0.0.5:5000"};
};

TEST_F(SqliteInventoryTest, SchemaHasTheInventory) {
  EXPECT_GE(SqliteSchemaVersion(), 2);
}

TEST_F(SqliteInventoryTest, VersionOneFileIsMigratedKeepingItsData) {
  {
    // The file a version-1 collector leaves behind.
    SqliteOptions version_one;
    version_one.stop_at_version_for_test = 1;
    auto store = OpenSqliteEventStore(path_, version_one);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->UpsertAgent(agent_, now_).ok());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].identity.hostname, "ws1.example");
  ASSERT_TRUE(store->ReplaceInventory({{"ws1.example", "", "", {}}}, now_).ok());
  EXPECT_EQ(store->ListInventory()->size(), 1u);
}

TEST_F(SqliteInventoryTest, ReplaceInventoryReplacesAndListsByHostname) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->ReplaceInventory({{"old-host", "", "", {}}}, now_).ok());
  std::vector<InventoryHost> hosts = {{"zeta", "00:11:22:33:44:55", "alice", {}},
                                      {"alpha", "", "bob", {}}};
  ASSERT_TRUE(store->ReplaceInventory(hosts, now_ + absl::Seconds(5)).ok());
  auto listed = store->ListInventory();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].hostname, "alpha");
  EXPECT_EQ((*listed)[0].owner, "bob");
  EXPECT_EQ((*listed)[0].mac, "");
  EXPECT_EQ((*listed)[1].hostname, "zeta");
  EXPECT_EQ((*listed)[1].mac, "00:11:22:33:44:55");
  EXPECT_EQ((*listed)[1].imported_at, now_ + absl::Seconds(5));
}

TEST_F(SqliteInventoryTest, BadInventoryChangesNothing) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->ReplaceInventory({{"kept", "", "", {}}}, now_).ok());
  absl::Status dup = store->ReplaceInventory({{"a", "", "", {}}, {"a", "", "", {}}}, now_);
  EXPECT_EQ(dup.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dup.message(), HasSubstr("a"));
  absl::Status empty = store->ReplaceInventory({{"b", "", "", {}}, {"", "", "", {}}}, now_);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  auto listed = store->ListInventory();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].hostname, "kept");
}

TEST_F(SqliteInventoryTest, ListHeartbeatsReturnsTheRangeOldestFirst) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->UpsertAgent(agent_, now_).ok());
  const int64_t t = 1'800'000'000;
  for (int64_t s : {t + 60, t, t + 30, t + 90}) {
    ASSERT_TRUE(store->RecordHeartbeat("ws1", Beat(s, static_cast<uint64_t>(s - t)), now_).ok());
  }
  ASSERT_TRUE(store->RecordHeartbeat("other", Beat(t + 30, 1), now_).ok());
  auto beats =
      store->ListHeartbeats("ws1", absl::FromUnixSeconds(t + 30), absl::FromUnixSeconds(t + 60));
  ASSERT_TRUE(beats.ok()) << beats.status();
  ASSERT_EQ(beats->size(), 2u);
  EXPECT_EQ((*beats)[0].heartbeat.time().seconds(), t + 30);
  EXPECT_EQ((*beats)[0].heartbeat.interfaces(0).received(), 30u);
  EXPECT_EQ((*beats)[0].heartbeat.interval_seconds(), 30u);
  EXPECT_EQ((*beats)[1].heartbeat.time().seconds(), t + 60);
  EXPECT_EQ((*beats)[1].received_time, now_);
}

TEST_F(SqliteInventoryTest, HeartbeatWithoutTimeReadsBackWithItsStamp) {
  auto store = OpenOrDie();
  cleansweep::v1::Heartbeat h;
  h.set_packets(3);
  const absl::Time received = now_ + absl::Microseconds(1500);
  ASSERT_TRUE(store->RecordHeartbeat("ws1", h, received).ok());
  auto beats = store->ListHeartbeats("ws1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(beats.ok()) << beats.status();
  ASSERT_EQ(beats->size(), 1u);
  EXPECT_EQ((*beats)[0].heartbeat.time().seconds(), 1'800'000'000);
  EXPECT_EQ((*beats)[0].heartbeat.time().nanos(), 1'500'000);
  EXPECT_EQ((*beats)[0].heartbeat.packets(), 3u);
}

TEST_F(SqliteInventoryTest, CountLostEventGapsInRange) {
  auto store = OpenOrDie();
  std::vector<cleansweep::v1::Event> events(1);
  events[0].mutable_smtp()->mutable_client()->set_ip("10.0.0.5");
  events[0].mutable_smtp()->mutable_server()->set_ip("192.0.2.25");
  events[0].set_sequence(5);
  ASSERT_TRUE(store->AppendEvents(agent_, events, now_).ok());
  // Sequences 1..4 lost at now_ + 10 s.
  ASSERT_TRUE(store->RecordLostBefore(agent_, 5, now_ + absl::Seconds(10)).ok());
  events[0].set_sequence(9);
  ASSERT_TRUE(store->AppendEvents(agent_, events, now_).ok());
  // Sequences 6..8 lost at now_ + 20 s.
  ASSERT_TRUE(store->RecordLostBefore(agent_, 9, now_ + absl::Seconds(20)).ok());

  auto all = store->CountLostEventGaps("ws1", now_, now_ + absl::Seconds(20));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->gaps, 2u);
  EXPECT_EQ(all->missing, 7u);
  auto late = store->CountLostEventGaps("ws1", now_ + absl::Seconds(11), absl::InfiniteFuture());
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->gaps, 1u);
  EXPECT_EQ(late->missing, 3u);
  EXPECT_EQ(store->CountLostEventGaps("nobody", absl::InfinitePast(), absl::InfiniteFuture())->gaps,
            0u);
}

}  // namespace
}  // namespace cleansweep::collector
