#include "collector/sweep/sweep_coordinator.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/sweep/sweep_judge.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t s = absl::ToUnixSeconds(t);
  ts->set_seconds(s);
  ts->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

// 128 random bits as 32 hex characters: ids need only be unique, and an id
// guessed by an agent buys nothing (answers are accepted only from the
// agents a sweep asked).
std::string NewSweepId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
}

}  // namespace

SweepCoordinator::SweepCoordinator(EventStore* store, SweepCoordinatorOptions options)
    : store_(store), options_(std::move(options)) {}

uint64_t SweepCoordinator::Subscribe(const std::string& agent_id, Deliver deliver) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  // Registered and served its pending requests under one lock: a Start
  // cannot fall between the two (it would be stored after the pending read
  // and delivered before the registration, reaching this stream never).
  Subscriber& s = subscribers_[id];
  s.agent_id = agent_id;
  s.deliver = std::move(deliver);
  const absl::Time now = options_.clock();
  absl::StatusOr<std::vector<cleansweep::v1::SweepRequest>> pending =
      store_->PendingSweeps(agent_id, now);
  if (!pending.ok()) {
    LOG_WARNING("cannot read the sweeps pending for agent %s: %s", agent_id,
                pending.status().ToString());
    return id;
  }
  for (const cleansweep::v1::SweepRequest& r : *pending) {
    s.deliver(r);
    absl::Status marked = store_->MarkSweepDelivered(r.sweep_id(), {agent_id}, now);
    if (!marked.ok()) LOG_WARNING("sweep %s: %s", r.sweep_id(), marked.ToString());
    LOG_INFO("sweep %s sent to agent %s (pending since %s)", r.sweep_id(), agent_id,
             FormatTimeUtc(absl::FromUnixSeconds(r.issued_time().seconds())));
  }
  return id;
}

void SweepCoordinator::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);  // waits out a delivery in progress
  subscribers_.erase(id);
}

absl::StatusOr<cleansweep::v1::SweepStatus> SweepCoordinator::Start(absl::Duration lifetime) {
  if (lifetime == absl::ZeroDuration()) lifetime = kDefaultSweepLifetime;
  if (lifetime < absl::ZeroDuration() || lifetime > kMaxSweepLifetime) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a sweep expires after more than 0 and at most ", absl::FormatDuration(kMaxSweepLifetime),
        " (asked: ", absl::FormatDuration(lifetime), ")"));
  }
  SweepPlan plan;
  if (options_.plan) {
    ASSIGN_OR_RETURN(plan, options_.plan());
  } else {
    plan = DefaultSweepPlan();
  }
  // Every agent known now: enrolled and not revoked, or seen reporting.
  std::set<std::string> revoked, targets;
  ASSIGN_OR_RETURN(std::vector<AgentCredential> credentials, store_->ListAgentCredentials());
  for (const AgentCredential& c : credentials) {
    (c.revoked_at.has_value() ? revoked : targets).insert(c.agent_id);
  }
  ASSIGN_OR_RETURN(std::vector<AgentSummary> agents, store_->ListAgents());
  for (const AgentSummary& a : agents) {
    if (!revoked.contains(a.identity.agent_id)) targets.insert(a.identity.agent_id);
  }
  if (targets.empty()) {
    return absl::FailedPreconditionError(
        "no agent has enrolled with this collector yet: there is nobody to sweep");
  }
  const std::vector<std::string> asked(targets.begin(), targets.end());

  const absl::Time now = options_.clock();
  cleansweep::v1::SweepRequest request;
  request.set_sweep_id(NewSweepId());
  SetTime(now, request.mutable_issued_time());
  SetTime(now + lifetime, request.mutable_expires_time());
  for (auto& p : plan.backdoor_ports) *request.add_backdoor_ports() = std::move(p);
  for (auto& d : plan.protected_domains) request.add_protected_domains(std::move(d));

  std::vector<std::string> delivered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(store_->CreateSweep(request, asked));
    for (auto& [id, s] : subscribers_) {
      if (!targets.contains(s.agent_id)) continue;
      s.deliver(request);
      delivered.push_back(s.agent_id);
    }
    if (!delivered.empty()) {
      RETURN_IF_ERROR(store_->MarkSweepDelivered(request.sweep_id(), delivered, now));
    }
  }
  std::sort(delivered.begin(), delivered.end());
  delivered.erase(std::unique(delivered.begin(), delivered.end()), delivered.end());
  LOG_INFO(
      "sweep %s issued: %d agent(s) asked, %d connected now; the others get it when they "
      "connect before %s",
      request.sweep_id(), asked.size(), delivered.size(), FormatTimeUtc(now + lifetime));
  return Load(request.sweep_id(), /*with_results=*/false);
}

absl::Status SweepCoordinator::OnAnswer(const std::string& agent_id,
                                        const cleansweep::v1::SweepResult& result) {
  RETURN_IF_ERROR(ValidateSweepResult(result));
  SweepQuery query;
  query.sweep_id = result.sweep_id();
  query.agent_id = agent_id;
  query.with_results = false;
  const absl::Time now = options_.clock();
  ASSIGN_OR_RETURN(std::vector<cleansweep::v1::SweepStatus> found, store_->ListSweeps(query, now));
  if (result.sweep_id().empty() || found.empty() || found[0].agents_size() == 0) {
    return absl::NotFoundError(
        absl::StrCat("sweep ", result.sweep_id().substr(0, 64), " did not ask agent ", agent_id));
  }
  const SweepJudgement judged = JudgeSweep(found[0].request(), result);
  cleansweep::v1::SweepAgentStatus answer;
  answer.set_verdict(judged.verdict);
  for (const std::string& r : judged.reasons) answer.add_reasons(r);
  *answer.mutable_result() = result;
  absl::Status stored = store_->RecordSweepAnswer(result.sweep_id(), agent_id, answer, now);
  if (absl::IsAlreadyExists(stored)) return absl::OkStatus();  // a repeat: the first stays
  RETURN_IF_ERROR(stored);
  switch (judged.verdict) {
    case cleansweep::v1::SWEEP_VERDICT_FOUND:
      LOG_WARNING("sweep %s: agent %s FOUND: %s", result.sweep_id(), agent_id,
                  absl::StrJoin(judged.reasons, "; "));
      break;
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE:
      LOG_WARNING("sweep %s: agent %s answered, incomplete: %s", result.sweep_id(), agent_id,
                  absl::StrJoin(judged.reasons, "; "));
      break;
    default:
      LOG_INFO(
          "sweep %s: agent %s answered: clean (%d listener(s) on checked ports, %d outbound "
          "SMTP connection(s))",
          result.sweep_id(), agent_id, result.listeners_size(), result.smtp_connections_size());
  }
  if (options_.on_answer) options_.on_answer(agent_id, result.sweep_id());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++answers_;
  }
  answered_.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<cleansweep::v1::SweepStatus> SweepCoordinator::Load(const std::string& sweep_id,
                                                                   bool with_results) {
  SweepQuery query;
  query.sweep_id = sweep_id;
  query.with_results = with_results;
  if (sweep_id.empty()) return absl::InvalidArgumentError("no sweep id given");
  ASSIGN_OR_RETURN(std::vector<cleansweep::v1::SweepStatus> found,
                   store_->ListSweeps(query, options_.clock()));
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id.substr(0, 64)));
  }
  return std::move(found[0]);
}

absl::StatusOr<cleansweep::v1::SweepStatus> SweepCoordinator::Wait(const std::string& sweep_id,
                                                                   uint32_t answered_above,
                                                                   absl::Duration wait,
                                                                   bool with_results) {
  const absl::Time deadline = absl::Now() + std::clamp(wait, absl::ZeroDuration(), kMaxSweepWait);
  while (true) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = answers_;
    }
    ASSIGN_OR_RETURN(cleansweep::v1::SweepStatus status, Load(sweep_id, with_results));
    if (status.answered() > answered_above || status.answered() >= status.asked() ||
        absl::Now() >= deadline) {
      return status;
    }
    // Woken by any answer stored after `seen` was read (so none is missed
    // between the read above and this wait), or at the deadline.
    std::unique_lock<std::mutex> lock(mu_);
    answered_.wait_until(lock, absl::ToChronoTime(deadline), [&] { return answers_ != seen; });
  }
}

}  // namespace cleansweep::collector
