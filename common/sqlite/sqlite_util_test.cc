#include "common/sqlite/sqlite_util.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::sqlite {
namespace {

using ::testing::HasSubstr;

// A real database file in a fresh temporary directory, removed afterwards.
class SqliteUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sqlite_util_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/test.db";
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    ASSERT_TRUE(Exec(db_, "CREATE TABLE t (i INTEGER, s TEXT, b BLOB)").ok());
  }
  void TearDown() override {
    sqlite3_close(db_);
    unlink(path_.c_str());
    (void)unlink((path_ + "-journal").c_str());
    rmdir(dir_.c_str());
  }
  int64_t CountRows() {
    Statement q(db_, "SELECT COUNT(*) FROM t");
    EXPECT_TRUE(q.Step());
    return q.Int(0);
  }

  std::string dir_, path_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteUtilTest, BindsAndReadsBack) {
  const std::string blob("a\0b\xff", 4);
  {
    Statement insert(db_, "INSERT INTO t (i, s, b) VALUES (?, ?, ?)");
    ASSERT_TRUE(insert.status().ok()) << insert.status();
    insert.Bind(1, int64_t{-9007199254740993});
    insert.Bind(2, absl::string_view("héllo"));
    insert.BindBlob(3, blob);
    ASSERT_TRUE(insert.Run().ok());
    // Reused: the static binds must survive until the step.
    insert.Reset();
    const std::string text = "static";
    insert.Bind(1, int64_t{7});
    insert.BindStatic(2, text);
    insert.BindBlobStatic(3, blob);
    ASSERT_TRUE(insert.Run().ok());
  }
  Statement q(db_, "SELECT i, s, b FROM t ORDER BY i");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int(0), -9007199254740993);
  EXPECT_EQ(q.Text(1), "héllo");
  EXPECT_EQ(q.Blob(2), blob);
  EXPECT_EQ(q.BlobView(2), blob);
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int(0), 7);
  EXPECT_EQ(q.Text(1), "static");
  EXPECT_EQ(q.Blob(2), blob);
  EXPECT_FALSE(q.Step());
  EXPECT_TRUE(q.status().ok());
}

TEST_F(SqliteUtilTest, EmptyStringIsTextNotNull) {
  {
    Statement insert(db_, "INSERT INTO t (i, s, b) VALUES (1, ?, ?)");
    insert.Bind(1, absl::string_view());  // null data()
    insert.BindBlob(2, absl::string_view());
    ASSERT_TRUE(insert.Run().ok());
    insert.Reset();
    insert.BindStatic(1, absl::string_view());
    insert.BindBlobStatic(2, absl::string_view());
    ASSERT_TRUE(insert.Run().ok());
  }
  Statement q(db_, "SELECT typeof(s), length(s), typeof(b), s IS NULL FROM t");
  int rows = 0;
  while (q.Step()) {
    ++rows;
    EXPECT_EQ(q.Text(0), "text");
    EXPECT_EQ(q.Int(1), 0);
    EXPECT_EQ(q.Text(2), "blob");
    EXPECT_FALSE(q.IsNull(0));
    EXPECT_EQ(q.Int(3), 0);
  }
  EXPECT_EQ(rows, 2);
}

TEST_F(SqliteUtilTest, IsNullSeesNull) {
  ASSERT_TRUE(Exec(db_, "INSERT INTO t (i, s, b) VALUES (NULL, 'x', NULL)").ok());
  Statement q(db_, "SELECT i, s FROM t");
  ASSERT_TRUE(q.Step());
  EXPECT_TRUE(q.IsNull(0));
  EXPECT_FALSE(q.IsNull(1));
}

TEST_F(SqliteUtilTest, TransactionRolledBackOnDestruction) {
  {
    Transaction tx(db_);
    ASSERT_TRUE(tx.Begin().ok());
    ASSERT_TRUE(Exec(db_, "INSERT INTO t (i) VALUES (1)").ok());
    EXPECT_EQ(CountRows(), 1);
  }  // no Commit
  EXPECT_EQ(CountRows(), 0);
  EXPECT_TRUE(sqlite3_get_autocommit(db_));
  {
    Transaction tx(db_);
    ASSERT_TRUE(tx.Begin().ok());
    ASSERT_TRUE(Exec(db_, "INSERT INTO t (i) VALUES (2)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(SqliteUtilTest, ExecErrorNamesTheSql) {
  absl::Status s = Exec(db_, "INSERT INTO no_such_table VALUES (1)");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("no such table: no_such_table"));
  EXPECT_THAT(s.message(), HasSubstr("(while running: INSERT INTO no_such_table VALUES (1))"));
}

TEST_F(SqliteUtilTest, PrepareErrorIsReportedAndStepDoesNotRun) {
  Statement q(db_, "SELECT * FROM no_such_table");
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(q.status().message(), HasSubstr("no such table"));
  EXPECT_FALSE(q.Step());
  EXPECT_FALSE(q.Run().ok());
}

TEST_F(SqliteUtilTest, StepErrorEndsIterationAndIsReported) {
  ASSERT_TRUE(Exec(db_, "CREATE TABLE u (k INTEGER PRIMARY KEY)").ok());
  Statement insert(db_, "INSERT INTO u (k) VALUES (?)");
  insert.Bind(1, int64_t{1});
  ASSERT_TRUE(insert.Run().ok());
  insert.Reset();
  insert.Bind(1, int64_t{1});
  absl::Status s = insert.Run();
  EXPECT_THAT(s.message(), HasSubstr("UNIQUE constraint failed"));
  insert.Reset();  // starts clean again
  EXPECT_TRUE(insert.status().ok());
  insert.Bind(1, int64_t{2});
  EXPECT_TRUE(insert.Run().ok());
}

}  // namespace
}  // namespace cleansweep::sqlite
