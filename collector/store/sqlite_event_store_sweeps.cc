// SqliteEventStore: sweeps and each asked agent's answer (schema version 9).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/store/sqlite_event_store_internal.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {
namespace {

using cleansweep::v1::SweepAgentStatus;
using cleansweep::v1::SweepStatus;

int64_t SweepTime(const google::protobuf::Timestamp& ts) { return TimestampMicros(ts); }

}  // namespace

absl::Status SqliteEventStore::CreateSweep(const cleansweep::v1::SweepRequest& request,
                                           absl::Span<const std::string> agent_ids) {
  if (request.sweep_id().empty()) return absl::InvalidArgumentError("sweep without an id");
  if (agent_ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("sweep ", request.sweep_id(), " asks no agent"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  {
    Statement known(db_, "SELECT 1 FROM sweeps WHERE sweep_id = ?");
    RETURN_IF_ERROR(known.status());
    known.Bind(1, request.sweep_id());
    if (known.Step()) {
      return absl::AlreadyExistsError(absl::StrCat("sweep ", request.sweep_id(), " exists"));
    }
    RETURN_IF_ERROR(known.status());
  }
  Statement ins(db_,
                "INSERT INTO sweeps (sweep_id, issued_us, expires_us, request) VALUES (?,?,?,?)");
  RETURN_IF_ERROR(ins.status());
  ins.Bind(1, request.sweep_id());
  ins.Bind(2, SweepTime(request.issued_time()));
  ins.Bind(3, SweepTime(request.expires_time()));
  ins.BindBlob(4, request.SerializeAsString());
  RETURN_IF_ERROR(ins.Run());
  Statement agent(db_, "INSERT OR IGNORE INTO sweep_agents (sweep_id, agent_id) VALUES (?, ?)");
  RETURN_IF_ERROR(agent.status());
  for (const std::string& id : agent_ids) {
    RETURN_IF_ERROR(ValidateAgentId(id));
    agent.Reset();
    agent.Bind(1, request.sweep_id());
    agent.Bind(2, id);
    RETURN_IF_ERROR(agent.Run());
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<cleansweep::v1::SweepRequest>> SqliteEventStore::PendingSweeps(
    absl::string_view agent_id, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_,
              "SELECT s.request FROM sweep_agents a JOIN sweeps s ON s.sweep_id = a.sweep_id "
              "WHERE a.agent_id = ? AND a.answered_us IS NULL AND s.expires_us > ? "
              "ORDER BY s.issued_us, s.sweep_id");
  RETURN_IF_ERROR(q.status());
  q.Bind(1, agent_id);
  q.Bind(2, MicrosOrLimit(now));
  std::vector<cleansweep::v1::SweepRequest> out;
  while (q.Step()) {
    cleansweep::v1::SweepRequest r;
    if (!r.ParseFromString(q.Blob(0))) {
      return absl::DataLossError(
          absl::StrCat("a stored sweep request does not parse; database ", path_, " is damaged"));
    }
    out.push_back(std::move(r));
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

absl::Status SqliteEventStore::MarkSweepDelivered(absl::string_view sweep_id,
                                                  absl::Span<const std::string> agent_ids,
                                                  absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  Statement up(db_,
               "UPDATE sweep_agents SET delivered_us = ? "
               "WHERE sweep_id = ? AND agent_id = ? AND delivered_us IS NULL");
  RETURN_IF_ERROR(up.status());
  for (const std::string& id : agent_ids) {
    up.Reset();
    up.Bind(1, absl::ToUnixMicros(now));
    up.Bind(2, sweep_id);
    up.Bind(3, id);
    RETURN_IF_ERROR(up.Run());
  }
  return tx.Commit();
}

absl::Status SqliteEventStore::RecordSweepAnswer(absl::string_view sweep_id,
                                                 absl::string_view agent_id,
                                                 const SweepAgentStatus& answer, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  {
    Statement q(db_, "SELECT answered_us FROM sweep_agents WHERE sweep_id = ? AND agent_id = ?");
    RETURN_IF_ERROR(q.status());
    q.Bind(1, sweep_id);
    q.Bind(2, agent_id);
    if (!q.Step()) {
      RETURN_IF_ERROR(q.status());
      return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " did not ask agent ", agent_id));
    }
    if (!q.IsNull(0)) {
      return absl::AlreadyExistsError(
          absl::StrCat("agent ", agent_id, " already answered sweep ", sweep_id));
    }
  }
  Statement up(db_,
               "UPDATE sweep_agents SET answered_us = ?, verdict = ?, reasons = ?, result = ? "
               "WHERE sweep_id = ? AND agent_id = ?");
  RETURN_IF_ERROR(up.status());
  up.Bind(1, absl::ToUnixMicros(now));
  up.Bind(2, static_cast<int64_t>(answer.verdict()));
  up.Bind(3, absl::StrJoin(answer.reasons(), "\n"));
  up.BindBlob(4, answer.result().SerializeAsString());
  up.Bind(5, sweep_id);
  up.Bind(6, agent_id);
  RETURN_IF_ERROR(up.Run());
  return tx.Commit();
}

absl::StatusOr<std::vector<SweepStatus>> SqliteEventStore::ListSweeps(const SweepQuery& query,
                                                                      absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  // Every condition is bound; an empty filter matches everything.
  Statement sweeps(db_,
                   "SELECT sweep_id, request FROM sweeps "
                   "WHERE (?1 = '' OR sweep_id = ?1) AND (?2 = '' OR sweep_id IN "
                   "  (SELECT sweep_id FROM sweep_agents WHERE agent_id = ?2)) "
                   "  AND issued_us BETWEEN ?4 AND ?5 "
                   "ORDER BY issued_us DESC, sweep_id LIMIT ?3");
  RETURN_IF_ERROR(sweeps.status());
  sweeps.Bind(1, query.sweep_id);
  sweeps.Bind(2, query.agent_id);
  sweeps.Bind(3, query.limit == 0 ? int64_t{-1} : static_cast<int64_t>(query.limit));
  sweeps.Bind(4, MicrosOrLimit(query.issued_from));
  sweeps.Bind(5, MicrosOrLimit(query.issued_to));
  std::vector<SweepStatus> out;
  while (sweeps.Step()) {
    SweepStatus& s = out.emplace_back();
    if (!s.mutable_request()->ParseFromString(sweeps.Blob(1))) {
      return absl::DataLossError(absl::StrCat("stored sweep ", sweeps.Text(0),
                                              " does not parse; database ", path_, " is damaged"));
    }
  }
  RETURN_IF_ERROR(sweeps.status());

  Statement counts(db_,
                   "SELECT count(*), count(delivered_us), count(answered_us), "
                   "       coalesce(sum(verdict = ?2), 0), coalesce(sum(verdict = ?3), 0) "
                   "FROM sweep_agents WHERE sweep_id = ?1");
  Statement agents(db_,
                   "SELECT a.agent_id, coalesce(g.hostname, ''), a.delivered_us, a.answered_us, "
                   "       a.verdict, a.reasons, CASE WHEN ?3 THEN a.result END "
                   "FROM sweep_agents a LEFT JOIN agents g ON g.agent_id = a.agent_id "
                   "WHERE a.sweep_id = ?1 AND (?2 = '' OR a.agent_id = ?2) ORDER BY a.agent_id");
  RETURN_IF_ERROR(counts.status());
  RETURN_IF_ERROR(agents.status());
  for (SweepStatus& s : out) {
    counts.Reset();
    counts.Bind(1, s.request().sweep_id());
    counts.Bind(2, static_cast<int64_t>(cleansweep::v1::SWEEP_VERDICT_FOUND));
    counts.Bind(3, static_cast<int64_t>(cleansweep::v1::SWEEP_VERDICT_INCOMPLETE));
    if (counts.Step()) {
      s.set_asked(static_cast<uint32_t>(counts.Int(0)));
      s.set_delivered(static_cast<uint32_t>(counts.Int(1)));
      s.set_answered(static_cast<uint32_t>(counts.Int(2)));
      s.set_found(static_cast<uint32_t>(counts.Int(3)));
      s.set_incomplete(static_cast<uint32_t>(counts.Int(4)));
    }
    RETURN_IF_ERROR(counts.status());
    s.set_expired(SweepTime(s.request().expires_time()) <= MicrosOrLimit(now));
    if (!query.with_agents) continue;
    agents.Reset();
    agents.Bind(1, s.request().sweep_id());
    agents.Bind(2, query.agent_id);
    agents.Bind(3, int64_t{query.with_results ? 1 : 0});
    while (agents.Step()) {
      SweepAgentStatus* a = s.add_agents();
      a->set_agent_id(agents.Text(0));
      a->set_hostname(agents.Text(1));
      if (!agents.IsNull(2)) SetTimestampMicros(agents.Int(2), a->mutable_delivered_time());
      if (!agents.IsNull(3)) SetTimestampMicros(agents.Int(3), a->mutable_answered_time());
      a->set_verdict(static_cast<cleansweep::v1::SweepVerdict>(agents.Int(4)));
      const std::string reasons = agents.Text(5);
      if (!reasons.empty()) {
        for (absl::string_view r : absl::StrSplit(reasons, '\n')) a->add_reasons(std::string(r));
      }
      if (!agents.IsNull(6) && !a->mutable_result()->ParseFromString(agents.Blob(6))) {
        return absl::DataLossError(absl::StrCat(
            "the stored answer of agent ", a->agent_id(), " to sweep ", s.request().sweep_id(),
            " does not parse; database ", path_, " is damaged"));
      }
    }
    RETURN_IF_ERROR(agents.status());
  }
  return out;
}

absl::StatusOr<std::vector<StoredSweepAnswer>> SqliteEventStore::ListSweepAnswers(
    const SweepAnswerQuery& query) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  // Two texts rather than "(?1 = '' OR agent_id = ?1)", so that one agent's
  // answers come from the (agent_id, answered_us) index.
  const char* columns =
      "SELECT a.agent_id, coalesce(g.hostname, ''), a.delivered_us, a.answered_us, a.verdict, "
      "       a.reasons, a.result, s.request "
      "FROM sweep_agents a JOIN sweeps s ON s.sweep_id = a.sweep_id "
      "LEFT JOIN agents g ON g.agent_id = a.agent_id ";
  const std::string text = absl::StrCat(
      columns,
      query.agent_id.empty() ? "WHERE a.answered_us BETWEEN ?2 AND ?3 "
                             : "WHERE a.agent_id = ?1 AND a.answered_us BETWEEN ?2 AND ?3 ",
      "AND (?4 = 0 OR a.verdict = ?5) ORDER BY a.answered_us, a.sweep_id, a.agent_id");
  Statement q(db_, text.c_str());
  RETURN_IF_ERROR(q.status());
  if (!query.agent_id.empty()) q.Bind(1, query.agent_id);
  q.Bind(2, MicrosOrLimit(query.from));
  q.Bind(3, MicrosOrLimit(query.to));
  q.Bind(4, int64_t{query.found_only ? 1 : 0});
  q.Bind(5, static_cast<int64_t>(cleansweep::v1::SWEEP_VERDICT_FOUND));
  std::vector<StoredSweepAnswer> out;
  while (q.Step()) {
    StoredSweepAnswer& sa = out.emplace_back();
    sa.agent_id = q.Text(0);
    SweepAgentStatus& a = sa.answer;
    a.set_agent_id(sa.agent_id);
    a.set_hostname(q.Text(1));
    if (!q.IsNull(2)) SetTimestampMicros(q.Int(2), a.mutable_delivered_time());
    SetTimestampMicros(q.Int(3), a.mutable_answered_time());
    a.set_verdict(static_cast<cleansweep::v1::SweepVerdict>(q.Int(4)));
    const std::string reasons = q.Text(5);
    if (!reasons.empty()) {
      for (absl::string_view r : absl::StrSplit(reasons, '\n')) a.add_reasons(std::string(r));
    }
    if ((!q.IsNull(6) && !a.mutable_result()->ParseFromString(q.Blob(6))) ||
        !sa.request.ParseFromString(q.Blob(7))) {
      return absl::DataLossError(absl::StrCat("a stored answer of agent ", sa.agent_id,
                                              " or its sweep does not parse; database ", path_,
                                              " is damaged"));
    }
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace cleansweep::collector::sqlite_internal
