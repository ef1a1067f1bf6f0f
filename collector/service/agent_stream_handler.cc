#include "collector/service/agent_stream_handler.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/store/host_facts.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

bool IsAgentIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == ':' || c == '@' || c == '-';
}

// Printable ASCII only: these strings end up in logs and terminal tables.
bool IsPrintable(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

CollectorMessage AckMessage(uint64_t sequence) {
  CollectorMessage m;
  m.mutable_ack()->set_sequence(sequence);
  return m;
}

}  // namespace

absl::Status ValidateAgentId(absl::string_view id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError("agent_id must be 1-128 characters");
  }
  for (char c : id) {
    if (!IsAgentIdChar(c)) {
      return absl::InvalidArgumentError("agent_id may contain only letters, digits and . _ : @ -");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHello(const cleansweep::v1::Hello& hello) {
  absl::Status id = ValidateAgentId(hello.agent_id());
  if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat("Hello.", id.message()));
  if (hello.hostname().size() > 255 || !IsPrintable(hello.hostname())) {
    return absl::InvalidArgumentError("Hello.hostname must be at most 255 printable characters");
  }
  if (hello.version().size() > 64 || !IsPrintable(hello.version())) {
    return absl::InvalidArgumentError("Hello.version must be at most 64 printable characters");
  }
  return absl::OkStatus();
}

AgentStreamHandler::AgentStreamHandler(EventStore* store,
                                       const cleansweep::v1::CaptureConfig* capture_config,
                                       std::string peer, std::function<absl::Time()> clock)
    : store_(store), capture_config_(capture_config), clock_(std::move(clock)) {
  identity_.peer = std::move(peer);
}

absl::Status AgentStreamHandler::Handle(const AgentMessage& message,
                                        std::vector<CollectorMessage>* replies) {
  if (!hello_done_ && message.kind_case() != AgentMessage::kHello) {
    return absl::FailedPreconditionError("the first message on a stream must be Hello");
  }
  switch (message.kind_case()) {
    case AgentMessage::kHello:
      if (hello_done_) return absl::FailedPreconditionError("Hello sent twice on one stream");
      return OnHello(message.hello(), replies);
    case AgentMessage::kEvents:
      return OnEvents(message.events(), replies);
    case AgentMessage::kHeartbeat:
      return OnHeartbeat(message.heartbeat());
    case AgentMessage::kLost:
      return OnLost(message.lost(), replies);
    case AgentMessage::kHost:
      return OnHostFacts(message.host());
    case AgentMessage::kSweepResult:
      return OnSweepResult(message.sweep_result());
    case AgentMessage::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "empty AgentMessage (no Hello, EventBatch, Heartbeat, LostEvents, HostFacts or "
      "SweepResult)");
}

absl::Status AgentStreamHandler::OnHello(const cleansweep::v1::Hello& hello,
                                         std::vector<CollectorMessage>* replies) {
  RETURN_IF_ERROR(ValidateHello(hello));
  if (!bound_agent_id_.empty() && hello.agent_id() != bound_agent_id_) {
    return absl::PermissionDeniedError(absl::StrCat("the node key belongs to agent ",
                                                    bound_agent_id_, ", but Hello claims agent ",
                                                    hello.agent_id()));
  }
  identity_.agent_id = hello.agent_id();
  identity_.hostname = hello.hostname();
  identity_.version = hello.version();
  if (hello.oldest_sequence() > hello.last_sequence() + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Hello.oldest_sequence ", hello.oldest_sequence(), " is beyond last_sequence ",
        hello.last_sequence(), " + 1"));
  }
  if (hello.has_host()) {
    // Checked before anything is stored, so a refused Hello leaves no trace.
    absl::StatusOr<cleansweep::v1::HostFacts> facts = NormalizeHostFacts(hello.host());
    if (!facts.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("Hello.host: ", facts.status().message()));
    }
    // What the host itself reports names it, rather than the agent's config.
    if (!facts->hostname().empty()) identity_.hostname = facts->hostname();
  }
  RETURN_IF_ERROR(store_->UpsertAgent(identity_, clock_()));
  if (hello.has_host()) {
    RETURN_IF_ERROR(store_->RecordHostFacts(identity_.agent_id, hello.host(), clock_()));
  }
  ASSIGN_OR_RETURN(uint64_t acked, store_->AckedSequence(identity_.agent_id));
  if (hello.oldest_sequence() > acked + 1) {
    // The agent can no longer send what we lack below oldest_sequence: record
    // the gap (silence must be provable, loss too) and acknowledge past it.
    LOG_WARNING("agent %s reports sequences %d-%d lost (not stored here); recording the gap",
                identity_.agent_id, acked + 1, hello.oldest_sequence() - 1);
    ASSIGN_OR_RETURN(acked, store_->RecordLostBefore(identity_, hello.oldest_sequence(),
                                                     clock_()));
  }
  hello_done_ = true;
  LOG_INFO("agent %s (host %s, version %s) connected from %s; stored through sequence %d, "
           "agent at %d",
           identity_.agent_id, identity_.hostname, identity_.version, identity_.peer, acked,
           hello.last_sequence());
  CollectorMessage config;
  *config.mutable_config() = *capture_config_;
  replies->push_back(std::move(config));
  replies->push_back(AckMessage(acked));
  return absl::OkStatus();
}

absl::Status AgentStreamHandler::OnEvents(const cleansweep::v1::EventBatch& batch,
                                          std::vector<CollectorMessage>* replies) {
  if (batch.events_size() > kMaxEventsPerBatch) {
    return absl::InvalidArgumentError(absl::StrCat("EventBatch of ", batch.events_size(),
                                                   " events exceeds the limit of ",
                                                   kMaxEventsPerBatch));
  }
  ASSIGN_OR_RETURN(uint64_t acked, store_->AppendEvents(identity_, batch.events(), clock_()));
  events_received_ += static_cast<uint64_t>(batch.events_size());
  replies->push_back(AckMessage(acked));
  return absl::OkStatus();
}

absl::Status AgentStreamHandler::OnLost(const cleansweep::v1::LostEvents& lost,
                                        std::vector<CollectorMessage>* replies) {
  if (lost.first_sequence() == 0 || lost.first_sequence() > lost.last_sequence()) {
    return absl::InvalidArgumentError(absl::StrCat("LostEvents range ", lost.first_sequence(),
                                                   "-", lost.last_sequence(), " is invalid"));
  }
  if (lost.reason().size() > 64 || !IsPrintable(lost.reason())) {
    return absl::InvalidArgumentError("LostEvents.reason must be at most 64 printable characters");
  }
  LOG_WARNING("agent %s reports sequences %d-%d lost (%d events, reason %s); recording the gap",
              identity_.agent_id, lost.first_sequence(), lost.last_sequence(), lost.count(),
              lost.reason().empty() ? "unstated" : lost.reason());
  ASSIGN_OR_RETURN(uint64_t acked,
                   store_->RecordLostRange(identity_, lost.first_sequence(), lost.last_sequence(),
                                           lost.count(), lost.reason(), clock_()));
  replies->push_back(AckMessage(acked));
  return absl::OkStatus();
}

absl::Status AgentStreamHandler::OnHostFacts(const cleansweep::v1::HostFacts& facts) {
  const absl::Time now = clock_();
  // The store checks the facts (InvalidArgument naming the field).
  RETURN_IF_ERROR(store_->RecordHostFacts(identity_.agent_id, facts, now));
  if (!facts.hostname().empty() && facts.hostname() != identity_.hostname) {
    LOG_INFO("agent %s now reports hostname %s (was %s)", identity_.agent_id, facts.hostname(),
             identity_.hostname);
    identity_.hostname = facts.hostname();
    RETURN_IF_ERROR(store_->UpsertAgent(identity_, now));
  }
  return absl::OkStatus();
}

absl::Status AgentStreamHandler::OnSweepResult(const cleansweep::v1::SweepResult& result) {
  if (sweeps_ == nullptr) {
    LOG_WARNING("agent %s answered sweep %s, but this collector runs no sweeps; ignored",
                identity_.agent_id, absl::CHexEscape(result.sweep_id().substr(0, 64)));
    return absl::OkStatus();
  }
  absl::Status taken = sweeps_->OnAnswer(identity_.agent_id, result);
  if (absl::IsInvalidArgument(taken) || absl::IsNotFound(taken)) {
    // The agent's mistake (or an answer to a sweep of another database):
    // nothing to store, but no reason to drop its events either.
    LOG_WARNING("ignored a sweep answer of agent %s: %s", identity_.agent_id, taken.message());
    return absl::OkStatus();
  }
  return taken;
}

absl::Status AgentStreamHandler::OnHeartbeat(const cleansweep::v1::Heartbeat& heartbeat) {
  // Revocation reaches streams that are already open within one heartbeat.
  if (recheck_) RETURN_IF_ERROR(recheck_());
  return store_->RecordHeartbeat(identity_.agent_id, heartbeat, clock_());
}

}  // namespace cleansweep::collector
