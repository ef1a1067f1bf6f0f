// SqliteEventStore: enrolled agents' credentials.
#include "collector/store/sqlite_event_store_internal.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

absl::Status SqliteEventStore::AddAgentCredential(const AgentCredential& c) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  if (c.agent_id.empty() || c.key_sha256.empty()) {
    return absl::InvalidArgumentError("credential without agent id or key hash");
  }
  Statement insert(db_,
                   "INSERT INTO agent_credentials (agent_id, key_sha256, enrolled_us, "
                   "enrolled_peer, revoked_us, request_sha256) VALUES (?,?,?,?,NULL,?) "
                   "ON CONFLICT DO NOTHING");
  RETURN_IF_ERROR(insert.status());
  insert.Bind(1, c.agent_id);
  insert.Bind(2, c.key_sha256);
  insert.Bind(3, absl::ToUnixMicros(c.enrolled_at));
  insert.Bind(4, c.enrolled_peer);
  insert.Bind(5, c.request_sha256);
  RETURN_IF_ERROR(insert.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("agent id ", c.agent_id, " is already enrolled"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AgentCredential> SqliteEventStore::FindCredentialByKeyHash(
    absl::string_view key_sha256) {
  return QueryCredential("key_sha256", key_sha256);
}

absl::StatusOr<AgentCredential> SqliteEventStore::GetAgentCredential(absl::string_view agent_id) {
  return QueryCredential("agent_id", agent_id);
}

absl::Status SqliteEventStore::ReplaceAgentKey(absl::string_view agent_id,
                                               absl::string_view request_sha256,
                                               absl::string_view key_sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  if (request_sha256.empty()) return absl::InvalidArgumentError("no request hash");
  Statement update(db_,
                   "UPDATE agent_credentials SET key_sha256 = ? WHERE agent_id = ? AND "
                   "request_sha256 = ? AND revoked_us IS NULL");
  RETURN_IF_ERROR(update.status());
  update.Bind(1, key_sha256);
  update.Bind(2, agent_id);
  update.Bind(3, request_sha256);
  RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", agent_id, " has no unrevoked enrollment with that request"));
  }
  return absl::OkStatus();
}

absl::Status SqliteEventStore::RevokeAgent(absl::string_view agent_id, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement update(db_,
                   "UPDATE agent_credentials SET revoked_us = COALESCE(revoked_us, ?) "
                   "WHERE agent_id = ?");
  RETURN_IF_ERROR(update.status());
  update.Bind(1, absl::ToUnixMicros(now));
  update.Bind(2, agent_id);
  RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat("agent ", agent_id, " never enrolled"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AgentCredential>> SqliteEventStore::ListAgentCredentials() {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_,
              "SELECT agent_id, key_sha256, enrolled_us, enrolled_peer, revoked_us, "
              "request_sha256 FROM agent_credentials ORDER BY agent_id");
  RETURN_IF_ERROR(q.status());
  std::vector<AgentCredential> out;
  while (q.Step()) out.push_back(CredentialFromRow(q));
  RETURN_IF_ERROR(q.status());
  return out;
}

AgentCredential SqliteEventStore::CredentialFromRow(Statement& q) {
  AgentCredential c;
  c.agent_id = q.Text(0);
  c.key_sha256 = q.Text(1);
  c.enrolled_at = absl::FromUnixMicros(q.Int(2));
  c.enrolled_peer = q.Text(3);
  if (!q.IsNull(4)) c.revoked_at = absl::FromUnixMicros(q.Int(4));
  c.request_sha256 = q.Text(5);
  return c;
}

absl::StatusOr<AgentCredential> SqliteEventStore::QueryCredential(absl::string_view column,
                                                                  absl::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_, absl::StrCat("SELECT agent_id, key_sha256, enrolled_us, enrolled_peer, "
                                "revoked_us, request_sha256 FROM agent_credentials WHERE ",
                                column, " = ?"));
  RETURN_IF_ERROR(q.status());
  q.Bind(1, value);
  if (!q.Step()) {
    RETURN_IF_ERROR(q.status());
    return absl::NotFoundError("no such credential");
  }
  return CredentialFromRow(q);
}

}  // namespace cleansweep::collector::sqlite_internal
