#include "common/sqlite/sqlite_util.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cleansweep::sqlite {
namespace {

absl::Status LastError(sqlite3* db) {
  return absl::InternalError(absl::StrCat("sqlite: ", sqlite3_errmsg(db)));
}

// An empty view may have a null data(), which SQLite would bind as NULL.
const char* NonNull(absl::string_view v) { return v.data() != nullptr ? v.data() : ""; }

}  // namespace

absl::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(
        absl::StrCat("sqlite: ", err ? err : sqlite3_errmsg(db), " (while running: ", sql, ")"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

Statement::Statement(sqlite3* db, absl::string_view sql) : db_(db) {
  rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

absl::Status Statement::status() const {
  return rc_ == SQLITE_OK ? absl::OkStatus() : LastError(db_);
}

void Statement::Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

void Statement::Bind(int i, absl::string_view v) {
  sqlite3_bind_text(stmt_, i, NonNull(v), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlob(int i, absl::string_view v) {
  sqlite3_bind_blob(stmt_, i, NonNull(v), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void Statement::BindStatic(int i, absl::string_view v) {
  sqlite3_bind_text(stmt_, i, NonNull(v), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Statement::BindBlobStatic(int i, absl::string_view v) {
  sqlite3_bind_blob(stmt_, i, NonNull(v), static_cast<int>(v.size()), SQLITE_STATIC);
}

bool Statement::Step() {
  // A failed prepare or step is not retried: status() keeps the first error.
  if (rc_ != SQLITE_OK) return false;
  rc_ = sqlite3_step(stmt_);
  if (rc_ == SQLITE_ROW) {
    rc_ = SQLITE_OK;
    return true;
  }
  if (rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
  return false;
}

absl::Status Statement::Run() {
  while (Step()) {
  }
  return status();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (stmt_ != nullptr) rc_ = SQLITE_OK;  // a reused statement starts clean
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::string Statement::Blob(int col) const { return std::string(BlobView(col)); }

absl::string_view Statement::BlobView(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? absl::string_view(static_cast<const char*>(p),
                               static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : absl::string_view();
}

Transaction::~Transaction() {
  if (open_) Exec(db_, "ROLLBACK").IgnoreError();
}

absl::Status Transaction::Begin() {
  RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  open_ = true;
  return absl::OkStatus();
}

absl::Status Transaction::Commit() {
  RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  open_ = false;
  return absl::OkStatus();
}

}  // namespace cleansweep::sqlite
