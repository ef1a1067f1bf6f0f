#include "collector/store/wal_checkpointer.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_wal_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/w.db";
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = FULL");
    Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
  }
  void TearDown() override {
    sqlite3_close(db_);
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "?");
  }
  // One transaction per row: each commit reports the log's size to the hook.
  void InsertRows(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      Exec(absl::StrCat("INSERT INTO t VALUES (", i, ", zeroblob(4000))"));
    }
  }
  int64_t WalBytes() const {
    struct stat st;
    return ::stat((path_ + "-wal").c_str(), &st) == 0 ? st.st_size : -1;
  }
  int CountRows(sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    const int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
  }

  std::string dir_, path_;
  sqlite3* db_ = nullptr;
};

// The writer's own automatic checkpoint (every 1,000 pages) is replaced:
// with a checkpointer whose threshold is never reached, the log only grows
// (a row of ~4 KB is at least one page per commit); with one at 16 pages, its
// thread checkpoints and the writer restarts the log, so it stays far below
// what was written.
TEST_F(WalCheckpointerTest, TakesOverTheWritersCheckpoints) {
  {
    auto never = WalCheckpointer::Start(db_, path_, "FULL", /*pages=*/1 << 30);
    ASSERT_TRUE(never.ok()) << never.status();
    InsertRows(0, 1500);
    EXPECT_EQ((*never)->checkpoints(), 0u);
  }
  // Frames in the log now: all 1,500 commits' (SQLite's own checkpoint would
  // have restarted it after 1,000 pages).
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(PASSIVE)", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_GE(sqlite3_column_int(s, 1), 1500);
  sqlite3_finalize(s);
  Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_EQ(WalBytes(), 0);
  auto every16 = WalCheckpointer::Start(db_, path_, "FULL", /*pages=*/16);
  ASSERT_TRUE(every16.ok()) << every16.status();
  for (int round = 0; round < 30; ++round) {
    InsertRows(1500 + round * 10, 10);
    // The round's commits pass the threshold; once the checkpoint after the
    // last of them is done, the next round's first commit restarts the log.
    ASSERT_TRUE((*every16)->WaitUntilIdle(absl::Seconds(30))) << "round " << round;
  }
  EXPECT_GE((*every16)->checkpoints(), 30u);
  // 300 more pages written, but the log was restarted after each round.
  EXPECT_LT(WalBytes(), 100 * 4096);
  every16->reset();
  // Everything committed is there, for the writer and for a new connection.
  EXPECT_EQ(CountRows(db_), 1800);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(CountRows(reader), 1800);
  sqlite3_close(reader);
}

// A writer that never leaves the thread a moment to finish still has its
// log start over: past hard_pages it checkpoints inside its own commit.
TEST_F(WalCheckpointerTest, TheLogStaysBoundedWhenTheThreadNeverCatchesUp) {
  auto checkpointer =
      WalCheckpointer::Start(db_, path_, "FULL", /*pages=*/1 << 30, /*hard_pages=*/64);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  InsertRows(0, 1000);
  EXPECT_EQ((*checkpointer)->checkpoints(), 0u);  // the thread was never asked
  EXPECT_GE((*checkpointer)->writer_checkpoints(), 10u);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(PASSIVE)", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_LE(sqlite3_column_int(s, 1), 64 + 8);  // frames in the log: at most one commit past
  sqlite3_finalize(s);
  EXPECT_LT(WalBytes(), 100 * 4096);
  EXPECT_EQ(CountRows(db_), 1000);
}

TEST_F(WalCheckpointerTest, AMissingDatabaseIsAnError) {
  auto bad = WalCheckpointer::Start(db_, dir_ + "/none/x.db", "FULL");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("none/x.db"), std::string::npos);
}

}  // namespace
}  // namespace cleansweep::collector
