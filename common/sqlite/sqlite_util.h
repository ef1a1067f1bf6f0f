// The small SQLite layer shared by the agent's spool and the collector's store:
// a prepared Statement that finalizes itself, Exec() for SQL without results
// and rows, and a Transaction (BEGIN IMMEDIATE ... COMMIT) rolled back unless
// committed.
//
// Ownership: nothing here owns the connection; the caller keeps `db` open for
// as long as a Statement or Transaction made from it lives.
// Thread-safety: none of its own; use a connection from one thread at a time
// (both users serialize with their own mutex).
// Errors: absl::InternalError with text "sqlite: <SQLite's message>"; Exec's
// message also names the SQL that failed ("(while running: <sql>)").
// Text: an empty string is bound as empty text, never as NULL (NOT NULL
// columns accept it).
#ifndef CLEANSWEEP_COMMON_SQLITE_SQLITE_UTIL_H_
#define CLEANSWEEP_COMMON_SQLITE_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cleansweep::sqlite {

// Runs `sql` (one or more statements, results discarded).
absl::Status Exec(sqlite3* db, const char* sql);

// A prepared statement, finalized on destruction. A statement that failed to
// prepare reports it in status(); Step() on it returns false and Run() fails.
class Statement {
 public:
  Statement(sqlite3* db, absl::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // OK unless preparing or the last step failed.
  absl::Status status() const;

  // Parameters are numbered from 1. Bind and BindBlob copy the value.
  void Bind(int i, int64_t v);
  void Bind(int i, absl::string_view v);
  void BindBlob(int i, absl::string_view v);
  // Without SQLite's private copy: `v` must stay valid until the statement is
  // stepped and Reset() or destroyed (hot insert paths: saves a malloc and a
  // copy per value). Empty stays empty, never NULL (as in Bind).
  void BindStatic(int i, absl::string_view v);
  void BindBlobStatic(int i, absl::string_view v);

  // Returns true while a row is available; errors end the iteration and are
  // reported by status(). After an error Step() does not run the statement again.
  bool Step();
  // Runs a statement that returns no rows (steps until done).
  absl::Status Run();
  // Rewinds for another run and clears the bindings; a reused statement
  // starts clean (status() OK again).
  void Reset();

  // Columns of the current row, numbered from 0.
  int64_t Int(int col) const;
  // The integer as stored, read back unsigned (values written from uint64_t).
  uint64_t UInt(int col) const { return static_cast<uint64_t>(Int(col)); }
  bool IsNull(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  // The blob without a copy; valid until the next Step(), Reset() or destruction.
  absl::string_view BlobView(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back on destruction unless Commit()
// succeeded (or Begin() was never called or failed).
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  absl::Status Begin();
  absl::Status Commit();

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace cleansweep::sqlite

#endif  // CLEANSWEEP_COMMON_SQLITE_SQLITE_UTIL_H_
