#include "collector/store/sqlite_event_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using ::testing::HasSubstr;

class SqliteEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c.db";
  }
  void TearDown() override {
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  EventStorePtr OpenOrDie(SqliteOptions options = {}) {
    auto store = OpenSqliteEventStore(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static Event Smtp(uint64_t seq, int64_t seconds) {
    Event e;
    e.set_sequence(seq);
    e.mutable_time()->set_seconds(seconds);
    e.set_interface("eth0");
    auto* s = e.mutable_smtp();
    s->mutable_client()->set_ip("10.0.0.5");
    s->mutable_client()->set_port(1234);
    s->mutable_server()->set_ip("192.0.2.25");
    s->mutable_server()->set_port(25);
    auto* t = s->add_transactions();
    t->set_mail_from(absl::StrCat("sender", seq, "@example.com"));
    t->add_rcpt_to("rcpt@example.net");
    return e;
  }

  // Runs SQL directly on the file, bypassing the store.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  std::string dir_;
  std::string path_;
  const AgentIdentity agent_{"agent-1", "ws1", "0.1.0", "ipv4:127.0.0.1:4000"};
  const absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(SqliteEventStoreTest, MigratesEmptyFileAndStoresEventsIdentically) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::vector<Event> batch = {Smtp(1, 100), Smtp(2, 101), Smtp(3, 102)};
  auto acked = store->AppendEvents(agent_, batch, now_);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 3u);

  auto listed = store->ListEvents({});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*listed)[i].agent_id, "agent-1");
    EXPECT_EQ((*listed)[i].received_time, now_);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*listed)[i].event, batch[i]))
        << (*listed)[i].event.DebugString();
  }
}

TEST_F(SqliteEventStoreTest, DuplicatesAreStoredOnceAndFirstCopyWins) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 100), Smtp(2, 101)}, now_)
                  .ok());
  Event changed = Smtp(2, 999);
  changed.set_interface("changed");
  auto acked = store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 100), changed}, now_);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(*acked, 2u);
  auto listed = store->ListEvents({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].event.interface(), "eth0");
  // The same sequence from another agent is a different event.
  AgentIdentity other = agent_;
  other.agent_id = "agent-2";
  auto other_acked = store->AppendEvents(other, std::vector<Event>{Smtp(1, 100)}, now_);
  ASSERT_TRUE(other_acked.ok());
  EXPECT_EQ(*other_acked, 1u);
  EXPECT_EQ(store->ListEvents({})->size(), 3u);
}

TEST_F(SqliteEventStoreTest, AckIsHighestContiguousSequenceWithOutOfOrderBatches) {
  auto store = OpenOrDie();
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(3, 1), Smtp(4, 1)}, now_), 0u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1)}, now_), 1u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(6, 1)}, now_), 1u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(2, 1)}, now_), 4u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(5, 1)}, now_), 6u);
  EXPECT_EQ(*store->AckedSequence("agent-1"), 6u);
  EXPECT_EQ(*store->AckedSequence("nobody"), 0u);
  // An empty batch reports the current progress.
  EXPECT_EQ(*store->AppendEvents(agent_, {}, now_), 6u);
}

TEST_F(SqliteEventStoreTest, LostSequencesAreRecordedAsGapAndAckMovesPast) {
  auto store = OpenOrDie();
  ASSERT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1), Smtp(2, 1), Smtp(5, 1)},
                                 now_),
            2u);
  // The agent can no longer send anything below 7: 3, 4 and 6 are lost.
  auto acked = store->RecordLostBefore(agent_, 7, now_);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 6u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(7, 1)}, now_), 7u);
  // Nothing below the acknowledgement can be missing: a no-op.
  EXPECT_EQ(*store->RecordLostBefore(agent_, 3, now_), 7u);
  EXPECT_EQ(*store->RecordLostBefore(agent_, 8, now_), 7u);
  auto agents = store->ListAgents();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].lost_events, 3u);
  EXPECT_EQ((*agents)[0].acked_sequence, 7u);
  EXPECT_EQ((*agents)[0].event_count, 4u);
  // A late copy of a lost event is still stored (the gap record stays).
  ASSERT_TRUE(store->AppendEvents(agent_, std::vector<Event>{Smtp(3, 1)}, now_).ok());
  EXPECT_EQ(store->ListEvents({})->size(), 5u);
}

TEST_F(SqliteEventStoreTest, LostRangeIsRecordedOnceAndAckStepsOverIt) {
  auto store = OpenOrDie();
  ASSERT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1), Smtp(2, 1)}, now_), 2u);
  // 3..6 dropped by a full spool; 7 and 8 already stored: the ack jumps to 8.
  ASSERT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(7, 1), Smtp(8, 1)}, now_), 2u);
  auto acked = store->RecordLostRange(agent_, 3, 6, 4, "spool_full", now_);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 8u);
  // Resent range (the agent repeats it until acknowledged): a no-op.
  EXPECT_EQ(*store->RecordLostRange(agent_, 3, 6, 4, "spool_full", now_), 8u);
  // A grown range only adds what lies above the acknowledgement: 9..10.
  EXPECT_EQ(*store->RecordLostRange(agent_, 3, 10, 8, "spool_full", now_), 10u);
  auto gaps = store->CountLostEventGaps("agent-1", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(gaps.ok());
  EXPECT_EQ(gaps->gaps, 2u);
  EXPECT_EQ(gaps->missing, 6u);  // 3,4,5,6 and 9,10
  EXPECT_EQ((*store->ListAgents())[0].lost_events, 6u);

  // A range reported before the events that precede it arrive: recorded, and
  // the ack steps over it once they do.
  ASSERT_EQ(*store->RecordLostRange(agent_, 13, 15, 3, "spool_full", now_), 10u);
  EXPECT_EQ(*store->RecordLostRange(agent_, 13, 15, 3, "spool_full", now_), 10u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(16, 1)}, now_), 10u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(11, 1), Smtp(12, 1)}, now_),
            16u);
  gaps = store->CountLostEventGaps("agent-1", absl::InfinitePast(), absl::InfiniteFuture());
  EXPECT_EQ(gaps->gaps, 3u);
  EXPECT_EQ(gaps->missing, 9u);

  EXPECT_EQ(store->RecordLostRange(agent_, 0, 3, 4, "x", now_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->RecordLostRange(agent_, 5, 4, 0, "x", now_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteEventStoreTest, GapsRecordWhyTheEventsWereLost) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->RecordLostRange(agent_, 1, 4, 4, "spool_full", now_).ok());
  ASSERT_TRUE(store->RecordLostBefore(agent_, 8, now_).ok());  // 5..7 died with a restart
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db, "SELECT first_sequence, last_sequence, reason FROM gaps ORDER BY first_sequence",
                -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    rows.push_back(absl::StrCat(sqlite3_column_int64(st, 0), "-", sqlite3_column_int64(st, 1), " ",
                                reinterpret_cast<const char*>(sqlite3_column_text(st, 2))));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, (std::vector<std::string>{"1-4 spool_full", "5-7 agent_restart"}));
}

TEST_F(SqliteEventStoreTest, InvalidSequenceRejectsWholeBatch) {
  auto store = OpenOrDie();
  auto acked = store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1), Smtp(0, 1)}, now_);
  EXPECT_EQ(acked.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->ListEvents({})->empty());
  AgentIdentity nobody;
  EXPECT_EQ(store->AppendEvents(nobody, std::vector<Event>{Smtp(1, 1)}, now_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteEventStoreTest, EventWithoutKindOrAddressesIsStillStoredAndCounted) {
  // Whatever an agent sends under a sequence number is kept (and acknowledged)
  // so the count of what arrived stays exact; it is not judged here.
  auto store = OpenOrDie();
  Event bare;
  bare.set_sequence(2);
  auto acked = store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1), bare}, now_);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 2u);
  auto events = store->ListEvents({});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
}

TEST_F(SqliteEventStoreTest, ReopenKeepsEventsProgressAndAgents) {
  {
    auto store = OpenOrDie();
    ASSERT_TRUE(store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1), Smtp(3, 2)}, now_).ok());
    ASSERT_TRUE(store->Close().ok());
    EXPECT_EQ(store->ListEvents({}).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  auto store = OpenOrDie();
  EXPECT_EQ(*store->AckedSequence("agent-1"), 1u);
  EXPECT_EQ(*store->AppendEvents(agent_, std::vector<Event>{Smtp(2, 1)}, now_), 3u);
  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].identity.hostname, "ws1");
  EXPECT_EQ((*agents)[0].event_count, 3u);
  EXPECT_EQ((*agents)[0].acked_sequence, 3u);
}

TEST_F(SqliteEventStoreTest, FiltersByAgentSinceAndLimit) {
  auto store = OpenOrDie();
  AgentIdentity other = agent_;
  other.agent_id = "agent-2";
  ASSERT_TRUE(
      store->AppendEvents(agent_, std::vector<Event>{Smtp(1, 100), Smtp(2, 300)}, now_).ok());
  ASSERT_TRUE(store->AppendEvents(other, std::vector<Event>{Smtp(1, 200)}, now_).ok());

  auto all = store->ListEvents({});
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].agent_id, "agent-2");  // ordered by event time

  EventFilter by_agent;
  by_agent.agent_id = "agent-2";
  EXPECT_EQ(store->ListEvents(by_agent)->size(), 1u);

  EventFilter since;
  since.since = absl::FromUnixSeconds(200);
  auto recent = store->ListEvents(since);
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].event.time().seconds(), 200);

  EventFilter limited;
  limited.limit = 1;
  auto first = store->ListEvents(limited);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].event.time().seconds(), 100);
}

TEST_F(SqliteEventStoreTest, HeartbeatsAreSummedAndShownWithAgent) {
  auto store = OpenOrDie();
  ASSERT_TRUE(store->UpsertAgent(agent_, now_).ok());
  cleansweep::v1::Heartbeat hb;
  hb.mutable_time()->set_seconds(1700000100);
  auto* a = hb.add_interfaces();
  a->set_name("eth0");
  a->set_received(100);
  a->set_dropped(2);
  a->set_interface_dropped(1);
  auto* b = hb.add_interfaces();
  b->set_name("wlan0");
  b->set_received(50);
  b->set_dropped(3);
  hb.set_packets(150);
  hb.set_events(7);
  ASSERT_TRUE(store->RecordHeartbeat("agent-1", hb, now_ + absl::Seconds(100)).ok());
  hb.mutable_time()->set_seconds(1700000050);  // older, arrives later
  hb.set_packets(1);
  ASSERT_TRUE(store->RecordHeartbeat("agent-1", hb, now_ + absl::Seconds(101)).ok());

  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status();
  ASSERT_EQ(agents->size(), 1u);
  const AgentSummary& s = (*agents)[0];
  EXPECT_EQ(s.first_seen, now_);
  EXPECT_EQ(s.last_seen, now_ + absl::Seconds(101));
  ASSERT_TRUE(s.last_heartbeat.has_value());
  EXPECT_EQ(s.last_heartbeat->time, absl::FromUnixSeconds(1700000100));
  EXPECT_EQ(s.last_heartbeat->pcap_received, 150u);
  EXPECT_EQ(s.last_heartbeat->pcap_dropped, 5u);
  EXPECT_EQ(s.last_heartbeat->pcap_interface_dropped, 1u);
  EXPECT_EQ(s.last_heartbeat->packets, 150u);
  EXPECT_EQ(s.last_heartbeat->events, 7u);
}

TEST_F(SqliteEventStoreTest, UsesWalAndRecordsSchemaVersion) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), SqliteSchemaVersion());
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteEventStoreTest, RefusesNewerSchemaVersion) {
  RawExec(absl::StrCat("PRAGMA user_version = ", SqliteSchemaVersion() + 1));
  auto store = OpenSqliteEventStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer than this cleansweep-collector"));
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(SqliteEventStoreTest, MissingFileWithoutCreateIsNotFound) {
  SqliteOptions options;
  options.create = false;
  auto store = OpenSqliteEventStore(path_, options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_EQ(access(path_.c_str(), F_OK), -1);  // not created
}

TEST_F(SqliteEventStoreTest, ReadOnlyRefusesUnmigratedFileAndReadsMigratedOne) {
  RawExec("CREATE TABLE unrelated (x)");
  SqliteOptions ro;
  ro.read_only = true;
  auto store = OpenSqliteEventStore(path_, ro);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("serve"));
  {
    auto writer = OpenOrDie();
    ASSERT_TRUE(writer->AppendEvents(agent_, std::vector<Event>{Smtp(1, 1)}, now_).ok());
  }
  auto reader = OpenSqliteEventStore(path_, ro);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->ListEvents({})->size(), 1u);
  EXPECT_FALSE((*reader)->AppendEvents(agent_, std::vector<Event>{Smtp(2, 1)}, now_).ok());
}

TEST_F(SqliteEventStoreTest, NotADatabaseIsAClearError) {
  FILE* f = fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not sqlite, just a text file that is long enough to have a header\n", f);
  fclose(f);
  auto store = OpenSqliteEventStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
}

}  // namespace
}  // namespace cleansweep::collector
