// EventStore: where the collector keeps what agents report — events, heartbeats
// and the agents themselves. One interface, several engines (SQLite now,
// PostgreSQL later); the gRPC service and the CLI only see this header.
//
// Contract:
//  - Each (agent_id, sequence) is stored at most once; a repeated sequence is
//    ignored (the first copy wins), so agents may resend freely after a reconnect.
//  - AppendEvents stores a batch in one transaction and returns the agent's
//    highest *contiguous* stored sequence (every sequence 1..N is stored). That
//    value is what the collector acknowledges; an event is durable once acked.
//  - Implementations are thread-safe: one store is shared by every stream.
//  - Errors are absl::Status: InvalidArgument for bad input (sequence 0 or too
//    large, empty agent id), Internal/Unavailable for engine failures.
#ifndef CLEANSWEEP_COLLECTOR_STORE_EVENT_STORE_H_
#define CLEANSWEEP_COLLECTOR_STORE_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cleansweep/v1/admin.pb.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "cleansweep/v1/event.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "collector/coverage/coverage_segments.h"
#include "collector/store/event_range.h"

namespace cleansweep::collector {

// Who is reporting: the Hello of the stream plus where it came from.
struct AgentIdentity {
  std::string agent_id;
  std::string hostname;
  std::string version;
  std::string peer;  // gRPC peer, e.g. "ipv4:10.0.0.5:53122"
};

// One stored event and its bookkeeping.
struct StoredEvent {
  std::string agent_id;
  absl::Time received_time;
  cleansweep::v1::Event event;  // as the agent sent it (sequence included)
};

struct EventFilter {
  std::string agent_id;                          // empty = every agent
  absl::Time since = absl::InfinitePast();       // event time >= since
  size_t limit = 0;                              // 0 = no limit
};

// The last heartbeat of an agent, pcap counters summed over its interfaces.
struct HeartbeatSummary {
  absl::Time time;           // agent's clock
  absl::Time received_time;  // collector's clock
  uint64_t pcap_received = 0;
  uint64_t pcap_dropped = 0;
  uint64_t pcap_interface_dropped = 0;
  uint64_t packets = 0;
  uint64_t events = 0;
};

// An enrolled agent's credential. The node key itself is never stored.
struct AgentCredential {
  std::string agent_id;
  std::string key_sha256;  // lower-case hex of SHA-256(node key)
  absl::Time enrolled_at;
  std::string enrolled_peer;
  std::optional<absl::Time> revoked_at;  // set once by RevokeAgent, never cleared
  std::string request_sha256;            // of the EnrollRequest.request_id; "" when none
};

// The facts an agent last reported about its host (RecordHostFacts) in the
// normal form of host_facts.h; facts.time is always set (the collector's
// receive time when the agent sent none).
struct StoredHostFacts {
  std::string agent_id;
  absl::Time received_time;  // collector's clock
  cleansweep::v1::HostFacts facts;
};

// One period during which an agent's host held an address: opened by the
// first report that contained (interface, mac, address), kept open while the
// reports contain it, closed by the first report that does not. Collector
// clock for first_seen / last_seen / valid_to; the agent's clock
// (HostFacts.time) for the *_observed times.
struct AddressRecord {
  std::string agent_id;
  std::string hostname;  // the agent's current hostname
  std::string interface;
  std::string mac;      // lower-case; "" when the interface has none
  std::string address;  // canonical text form ("10.0.0.7", "2001:db8::7")
  absl::Time first_seen;
  absl::Time last_seen;
  std::optional<absl::Time> valid_to;  // unset while the host still holds it
  absl::Time first_observed;
  absl::Time last_observed;
  std::optional<absl::Time> closed_observed;
};

struct AddressHistoryFilter {
  std::string ip;    // "" = any; any IPv4/IPv6 text form (compared canonically)
  std::string host;  // "" = any; an agent id, or a hostname (ASCII case ignored)
  // Only periods that held at `at` (collector clock):
  // first_seen <= at < valid_to (or still open).
  std::optional<absl::Time> at;
};

// One agent's batch in a group commit (EventStore::AppendEventGroups).
struct EventAppend {
  const AgentIdentity* agent;  // borrowed for the call
  EventRange events;  // borrowed for the call
  // Empty, or events[i] serialized (borrowed): what the store keeps as the
  // event's payload, computed by the caller so that the committing thread
  // does not serialize.
  absl::Span<const absl::string_view> payloads;
};

struct AgentSummary {
  AgentIdentity identity;
  absl::Time first_seen;
  absl::Time last_seen;
  uint64_t event_count = 0;
  uint64_t acked_sequence = 0;  // highest contiguous stored sequence
  uint64_t lost_events = 0;     // sequences the agent reported lost (gaps)
  std::optional<HeartbeatSummary> last_heartbeat;
  // Filled by callers that join the credentials (the `agents` command);
  // ListAgents leaves it empty.
  std::optional<AgentCredential> credential;
};

// A host the operators expect to report (the imported inventory).
struct InventoryHost {
  std::string hostname;  // unique, non-empty
  std::string mac;       // "" = unknown; stored as given
  std::string owner;     // "" = unknown
  absl::Time imported_at;
};

// One stored heartbeat. heartbeat.time is always set (the collector's receive
// time when the agent sent none).
struct StoredHeartbeat {
  std::string agent_id;
  absl::Time received_time;
  cleansweep::v1::Heartbeat heartbeat;
};

// One coverage segment of an agent (coverage/coverage_segments.h).
struct StoredCoverageSegment {
  std::string agent_id;
  CoverageSegment segment;
};

// Which sweeps ListSweeps returns.
struct SweepQuery {
  std::string sweep_id;  // "" = every sweep
  // "" = every asked agent; else only the sweeps that asked this agent, each
  // with this agent's row only (the counts stay those of the whole sweep).
  std::string agent_id;
  size_t limit = 0;          // newest first, at most this many sweeps; 0 = all
  bool with_results = true;  // include each agent's SweepResult
  // Only sweeps issued in [issued_from, issued_to].
  absl::Time issued_from = absl::InfinitePast();
  absl::Time issued_to = absl::InfiniteFuture();
  // false: the sweeps with their counts only, no agent rows (cheap for a
  // list of many sweeps of a big fleet).
  bool with_agents = true;
};

// Which stored sweep answers ListSweepAnswers returns.
struct SweepAnswerQuery {
  std::string agent_id;  // "" = every agent
  // Answers stored (collector clock) in [from, to].
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  // Only answers judged SWEEP_VERDICT_FOUND.
  bool found_only = false;
};

// One agent's stored answer to a sweep, with the request it answered.
struct StoredSweepAnswer {
  std::string agent_id;
  cleansweep::v1::SweepRequest request;
  // agent_id, hostname, delivery and answer times, verdict, reasons, result.
  cleansweep::v1::SweepAgentStatus answer;
};

// Lost-event gaps an agent declared (RecordLostBefore) in a time range.
struct LostEventGaps {
  uint64_t gaps = 0;     // gap records
  uint64_t missing = 0;  // sequences never stored
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Records (or refreshes) an agent: hostname, version and peer are replaced,
  // first_seen is kept, last_seen becomes `now`.
  virtual absl::Status UpsertAgent(const AgentIdentity& agent, absl::Time now) = 0;

  // Stores `events` for agent.agent_id (duplicates ignored) and refreshes the
  // agent row, all in one transaction. Returns the highest contiguous sequence
  // stored for the agent (0 when sequence 1 is still missing). Nothing is
  // stored when an error is returned.
  virtual absl::StatusOr<uint64_t> AppendEvents(const AgentIdentity& agent, EventRange events,
                                                absl::Time now) = 0;

  // Group commit: stores several batches (of any agents) and makes them
  // durable with one commit. Each batch is applied as AppendEvents would
  // apply it (all or nothing for that batch); the results are in the order of
  // `batches`: the agent's highest contiguous sequence after its batch, or
  // that batch's error (the other batches are not affected). When the commit
  // itself fails, every result is that error and nothing is stored. This
  // default makes one AppendEvents call (one commit) per batch.
  virtual std::vector<absl::StatusOr<uint64_t>> AppendEventGroups(
      absl::Span<const EventAppend> batches, absl::Time now) {
    std::vector<absl::StatusOr<uint64_t>> results;
    results.reserve(batches.size());
    for (const EventAppend& b : batches) results.push_back(AppendEvents(*b.agent, b.events, now));
    return results;
  }

  // The agent can no longer send any sequence below `oldest_sequence`: the
  // sequences in (acknowledged, oldest_sequence) that are not stored are
  // recorded as a gap (lost events) and the acknowledgement moves past them.
  // Returns the new highest contiguous sequence. A no-op when nothing is
  // missing below `oldest_sequence`.
  virtual absl::StatusOr<uint64_t> RecordLostBefore(const AgentIdentity& agent,
                                                    uint64_t oldest_sequence,
                                                    absl::Time now) = 0;

  // The agent dropped sequences [first, last] without sending them (a
  // LostEvents record; `count` and `reason` as it reported them). The part of
  // the range above the acknowledgement that is not stored is recorded as a
  // gap, and those sequences count as accounted for: the contiguous
  // acknowledgement moves past them (now, or once the sequences before the
  // range are stored). Idempotent: a range already acknowledged is a no-op.
  // Returns the new highest contiguous sequence. InvalidArgument when
  // first is 0, first > last, or last is out of range. The gaps table has no
  // reason column yet; implementations may only log `reason`.
  virtual absl::StatusOr<uint64_t> RecordLostRange(const AgentIdentity& agent, uint64_t first,
                                                   uint64_t last, uint64_t count,
                                                   absl::string_view reason, absl::Time now) = 0;

  // Highest contiguous sequence stored for the agent (0 if unknown).
  virtual absl::StatusOr<uint64_t> AckedSequence(absl::string_view agent_id) = 0;

  // Stores one heartbeat. A heartbeat without a time is stamped with `now`.
  // In the same transaction it is folded into the agent's coverage segments
  // (ListCoverage): in time order directly; a heartbeat older than the agent's
  // newest one by re-folding what follows it, up to 24 h back (an older one
  // is stored but not counted as coverage).
  virtual absl::Status RecordHeartbeat(absl::string_view agent_id,
                                       const cleansweep::v1::Heartbeat& heartbeat,
                                       absl::Time now) = 0;

  // Events ordered by (event time, agent id, sequence), oldest first.
  virtual absl::StatusOr<std::vector<StoredEvent>> ListEvents(const EventFilter& filter) = 0;

  // Calls `visit` for every event whose time is in [from, to], in storage
  // order (not time order), with the agent id and the event as the agent
  // serialized it; the views are valid only during the call. Stops at, and
  // returns, the first error `visit` returns. For bulk reads (re-judging
  // history) without materialising every event.
  using EventVisitor =
      std::function<absl::Status(absl::string_view agent_id, absl::string_view payload)>;
  virtual absl::Status ScanEvents(absl::Time from, absl::Time to, const EventVisitor& visit) = 0;

  // One stored event; NotFound when (agent_id, sequence) is not stored.
  virtual absl::StatusOr<StoredEvent> GetEvent(absl::string_view agent_id, uint64_t sequence) = 0;

  // The live detector's current findings for one host replace the stored
  // ones of that host, in one transaction. Findings of the sweep signals
  // (SIGNAL_SWEEP_*) are left alone: ReplaceSweepFindings owns those.
  virtual absl::Status ReplaceHostFindings(absl::string_view host,
                                           absl::Span<const cleansweep::v1::Finding> findings,
                                           absl::Time now) = 0;

  // Sweep findings (signals SIGNAL_SWEEP_*) of `agent_id` at `host` replace
  // the stored sweep findings of that agent at that host, in one
  // transaction; other findings of the host are left alone. InvalidArgument
  // (nothing changes) for a finding of another host or agent, or of another
  // signal.
  virtual absl::Status ReplaceSweepFindings(absl::string_view host, absl::string_view agent_id,
                                            absl::Span<const cleansweep::v1::Finding> findings,
                                            absl::Time now) = 0;

  // Stored live findings whose [first_time, last_time] meets [from, to],
  // ordered by (host, first_time, rule).
  virtual absl::StatusOr<std::vector<cleansweep::v1::Finding>> ListFindings(absl::Time from,
                                                                             absl::Time to) = 0;

  // Every agent ever seen, ordered by agent id.
  virtual absl::StatusOr<std::vector<AgentSummary>> ListAgents() = 0;

  // Replaces the whole inventory with `hosts` (imported_at is set to `now`) in
  // one transaction: on error nothing changes. InvalidArgument for an empty or
  // repeated hostname.
  virtual absl::Status ReplaceInventory(absl::Span<const InventoryHost> hosts,
                                        absl::Time now) = 0;

  // The inventory ordered by hostname.
  virtual absl::StatusOr<std::vector<InventoryHost>> ListInventory() = 0;

  // Heartbeats of `agent_id` whose (agent clock) time is in [from, to], oldest
  // first.
  virtual absl::StatusOr<std::vector<StoredHeartbeat>> ListHeartbeats(absl::string_view agent_id,
                                                                      absl::Time from,
                                                                      absl::Time to) = 0;

  // The coverage segments of `agent_id` ("" = every agent) that meet
  // [from, to] (agent clock: start <= to and end >= from), ordered by
  // (agent id, start). Reads only segments ending before
  // to + kMaxSegmentLength, so the cost follows the window, not the history.
  // The segments' last_interval and last_interfaces are left empty (only
  // folding uses them).
  virtual absl::StatusOr<std::vector<StoredCoverageSegment>> ListCoverage(
      absl::string_view agent_id, absl::Time from, absl::Time to) = 0;

  // Stores coverage segments of `agent_id` folded elsewhere (bulk loads: a
  // generated store, an import), in one transaction. They must be in time
  // order, each starting at or after the end of the agent's newest stored
  // segment (InvalidArgument otherwise; nothing is stored). Later heartbeats
  // fold onto the last of them.
  virtual absl::Status AppendCoverage(absl::string_view agent_id,
                                      absl::Span<const CoverageSegment> segments) = 0;

  // The agent's newest stored heartbeat with time (agent clock) at or before
  // `at`; nullopt when there is none.
  virtual absl::StatusOr<std::optional<StoredHeartbeat>> LatestHeartbeat(
      absl::string_view agent_id, absl::Time at) = 0;

  // Lost-event gaps of `agent_id` recorded (collector clock) in [from, to].
  virtual absl::StatusOr<LostEventGaps> CountLostEventGaps(absl::string_view agent_id,
                                                           absl::Time from, absl::Time to) = 0;

  // Enrollment. Records a new agent credential. AlreadyExists when the agent
  // id was ever enrolled (revoked or not: a revoked id stays locked out) or
  // the key hash is taken.
  virtual absl::Status AddAgentCredential(const AgentCredential& credential) = 0;

  // Replaces the key hash of `agent_id` when its credential is unrevoked and
  // was enrolled with `request_sha256` (non-empty); FailedPrecondition
  // otherwise. Completes an enrollment whose answer the agent never saved.
  virtual absl::Status ReplaceAgentKey(absl::string_view agent_id,
                                       absl::string_view request_sha256,
                                       absl::string_view key_sha256) = 0;

  // The credential whose key hash is `key_sha256`; NotFound when none.
  virtual absl::StatusOr<AgentCredential> FindCredentialByKeyHash(
      absl::string_view key_sha256) = 0;

  // The credential of `agent_id`; NotFound when it never enrolled.
  virtual absl::StatusOr<AgentCredential> GetAgentCredential(absl::string_view agent_id) = 0;

  // Marks the agent's credential revoked at `now` (idempotent: an earlier
  // revocation time is kept). NotFound when the agent never enrolled.
  virtual absl::Status RevokeAgent(absl::string_view agent_id, absl::Time now) = 0;

  // Every credential, ordered by agent id.
  virtual absl::StatusOr<std::vector<AgentCredential>> ListAgentCredentials() = 0;

  // Host facts (agent_service.proto HostFacts), checked and normalized as
  // host_facts.h says (InvalidArgument naming the field; nothing changes).
  // In one transaction: the agent's current facts are replaced, and the
  // address history is brought up to date at `now`: each (interface, mac,
  // address) of the report extends its open period (last_seen = now) or opens
  // one (first_seen = now); each open period the report lacks is closed
  // (valid_to = now). InvalidArgument for an empty agent id.
  virtual absl::Status RecordHostFacts(absl::string_view agent_id,
                                       const cleansweep::v1::HostFacts& facts,
                                       absl::Time now) = 0;

  // The current facts of every agent that reported any, ordered by agent id.
  virtual absl::StatusOr<std::vector<StoredHostFacts>> ListHostFacts() = 0;

  // Address periods matching `filter`, ordered by (first_seen, agent id,
  // interface, address). InvalidArgument when filter.ip is not an address.
  virtual absl::StatusOr<std::vector<AddressRecord>> ListAddressHistory(
      const AddressHistoryFilter& filter) = 0;

  // Sweeps (collector/sweep): what was asked of which agents, and their
  // answers. CreateSweep stores a request and the agents it asks, in one
  // transaction; AlreadyExists for a known sweep_id, InvalidArgument for an
  // empty id or agent list.
  virtual absl::Status CreateSweep(const cleansweep::v1::SweepRequest& request,
                                   absl::Span<const std::string> agent_ids) = 0;

  // Requests that asked `agent_id`, have no answer from it, and expire after
  // `now`, oldest first.
  virtual absl::StatusOr<std::vector<cleansweep::v1::SweepRequest>> PendingSweeps(
      absl::string_view agent_id, absl::Time now) = 0;

  // The request was put on the agents' streams at `now`; the first delivery
  // time is kept. Agents the sweep did not ask are ignored.
  virtual absl::Status MarkSweepDelivered(absl::string_view sweep_id,
                                          absl::Span<const std::string> agent_ids,
                                          absl::Time now) = 0;

  // Stores an agent's judged answer (answer.verdict, reasons and result;
  // answered_time = `now`). NotFound when the sweep did not ask that agent;
  // AlreadyExists when its answer is already stored (the first one stays).
  virtual absl::Status RecordSweepAnswer(absl::string_view sweep_id,
                                         absl::string_view agent_id,
                                         const cleansweep::v1::SweepAgentStatus& answer,
                                         absl::Time now) = 0;

  // Stored sweeps, newest (issued_time) first, each with every asked agent
  // (by agent id; hostname from the agents table), delivery and answer
  // times, verdict, reasons and (query.with_results) result, and the counts
  // asked/delivered/answered/found/incomplete. `expired` is set against
  // `now`. One call gives the status page and `sweeps` everything.
  virtual absl::StatusOr<std::vector<cleansweep::v1::SweepStatus>> ListSweeps(
      const SweepQuery& query, absl::Time now) = 0;

  // Stored answers matching `query`, oldest answer first (then sweep id,
  // agent id), each with its request and the whole answer (result included).
  // For judging answers by time without reading every sweep.
  virtual absl::StatusOr<std::vector<StoredSweepAnswer>> ListSweepAnswers(
      const SweepAnswerQuery& query) = 0;

  // Flushes and releases the engine; every later call fails with
  // FailedPrecondition. Idempotent; the destructor calls it too.
  virtual absl::Status Close() = 0;
};

using EventStorePtr = std::unique_ptr<EventStore>;

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_STORE_EVENT_STORE_H_
