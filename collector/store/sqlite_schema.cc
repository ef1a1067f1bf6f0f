#include "collector/store/sqlite_schema.h"

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_coverage.h"
#include "collector/store/sqlite_event_store.h"
#include "common/sqlite/sqlite_util.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

using sqlite::Exec;
using sqlite::Statement;
using sqlite::Transaction;

// The version whose migration also folds the stored heartbeats (C++, not SQL).
constexpr int kFoldHeartbeatsVersion = 8;

// The schema, one entry per version: applying kMigrations[i] takes a database
// from user_version i to i + 1. Only ever append; never edit a shipped step.
const std::vector<std::vector<const char*>>& Migrations() {
  static const auto* steps = new std::vector<std::vector<const char*>>{
      // Version 1: agents, events, heartbeats, per-agent progress.
      {
          R"sql(CREATE TABLE agents (
                  agent_id      TEXT PRIMARY KEY,
                  hostname      TEXT NOT NULL,
                  version       TEXT NOT NULL,
                  peer          TEXT NOT NULL,
                  first_seen_us INTEGER NOT NULL,
                  last_seen_us  INTEGER NOT NULL))sql",
          R"sql(CREATE TABLE events (
                  agent_id    TEXT NOT NULL,
                  sequence    INTEGER NOT NULL,
                  kind        TEXT NOT NULL,
                  time_us     INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  src_ip      TEXT NOT NULL,
                  dst_ip      TEXT NOT NULL,
                  dst_port    INTEGER NOT NULL,
                  payload     BLOB NOT NULL,
                  PRIMARY KEY (agent_id, sequence)) WITHOUT ROWID)sql",
          "CREATE INDEX events_by_time ON events (time_us)",
          R"sql(CREATE TABLE heartbeats (
                  agent_id               TEXT NOT NULL,
                  time_us                INTEGER NOT NULL,
                  received_us            INTEGER NOT NULL,
                  pcap_received          INTEGER NOT NULL,
                  pcap_dropped           INTEGER NOT NULL,
                  pcap_interface_dropped INTEGER NOT NULL,
                  packets                INTEGER NOT NULL,
                  events                 INTEGER NOT NULL,
                  payload                BLOB NOT NULL))sql",
          "CREATE INDEX heartbeats_by_agent_time ON heartbeats (agent_id, time_us)",
          R"sql(CREATE TABLE agent_progress (
                  agent_id       TEXT PRIMARY KEY,
                  acked_sequence INTEGER NOT NULL))sql",
          // Sequences an agent declared lost: [first_sequence, last_sequence],
          // of which `missing` were never stored.
          R"sql(CREATE TABLE gaps (
                  agent_id       TEXT NOT NULL,
                  first_sequence INTEGER NOT NULL,
                  last_sequence  INTEGER NOT NULL,
                  missing        INTEGER NOT NULL,
                  recorded_us    INTEGER NOT NULL))sql",
          "CREATE INDEX gaps_by_agent ON gaps (agent_id, first_sequence)",
      },
      // Version 2: the hosts operators expect to report (inventory import).
      {
          R"sql(CREATE TABLE inventory (
                  hostname    TEXT PRIMARY KEY,
                  mac         TEXT NOT NULL,
                  owner       TEXT NOT NULL,
                  imported_at INTEGER NOT NULL) WITHOUT ROWID)sql",  // Unix microseconds
      },
      // Version 3: why sequences were lost ("spool_full", "agent_restart", ...).
      {
          "ALTER TABLE gaps ADD COLUMN reason TEXT NOT NULL DEFAULT ''",
      },
      // Version 4: enrolled agents' credentials. Only the SHA-256 of a node
      // key is kept; revoked_us is set once and never cleared.
      {
          R"sql(CREATE TABLE agent_credentials (
                  agent_id      TEXT PRIMARY KEY,
                  key_sha256    TEXT NOT NULL UNIQUE,
                  enrolled_us   INTEGER NOT NULL,
                  enrolled_peer TEXT NOT NULL,
                  revoked_us    INTEGER,
                  request_sha256 TEXT NOT NULL DEFAULT '') WITHOUT ROWID)sql",
      },
      // Version 5: host facts and which address belonged to which host when.
      // An open address period has valid_to_us NULL; at most one per
      // (agent, interface, mac, address). Collector clock in *_seen_us and
      // valid_to_us, the agent's (HostFacts.time) in *_observed_us.
      {
          R"sql(CREATE TABLE host_facts (
                  agent_id    TEXT PRIMARY KEY,
                  hostname    TEXT NOT NULL,
                  os          TEXT NOT NULL,
                  kernel      TEXT NOT NULL,
                  observed_us INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  payload     BLOB NOT NULL) WITHOUT ROWID)sql",
          R"sql(CREATE TABLE address_history (
                  agent_id           TEXT NOT NULL,
                  interface          TEXT NOT NULL,
                  mac                TEXT NOT NULL,
                  address            TEXT NOT NULL,
                  first_seen_us      INTEGER NOT NULL,
                  last_seen_us       INTEGER NOT NULL,
                  valid_to_us        INTEGER,
                  first_observed_us  INTEGER NOT NULL,
                  last_observed_us   INTEGER NOT NULL,
                  closed_observed_us INTEGER))sql",
          "CREATE INDEX address_history_by_address ON address_history (address, first_seen_us)",
          "CREATE INDEX address_history_by_agent ON address_history (agent_id, first_seen_us)",
          R"sql(CREATE UNIQUE INDEX address_history_open
                  ON address_history (agent_id, interface, mac, address)
                  WHERE valid_to_us IS NULL)sql",
      },
      // Version 6: events in arrival order. Rows go to the end of a rowid
      // table (an append, whatever the interleaving of agents), and
      // (agent_id, sequence) becomes a small unique index beside it: the
      // wide row (payload) is no longer inserted in the middle of a key-ordered
      // tree at one place per agent, which split pages on every batch.
      {
          R"sql(CREATE TABLE events_by_arrival (
                  agent_id    TEXT NOT NULL,
                  sequence    INTEGER NOT NULL,
                  kind        TEXT NOT NULL,
                  time_us     INTEGER NOT NULL,
                  received_us INTEGER NOT NULL,
                  src_ip      TEXT NOT NULL,
                  dst_ip      TEXT NOT NULL,
                  dst_port    INTEGER NOT NULL,
                  payload     BLOB NOT NULL))sql",
          R"sql(INSERT INTO events_by_arrival (agent_id, sequence, kind, time_us, received_us,
                                            src_ip, dst_ip, dst_port, payload)
                SELECT agent_id, sequence, kind, time_us, received_us, src_ip, dst_ip, dst_port,
                       payload FROM events ORDER BY received_us, agent_id, sequence)sql",
          "DROP TABLE events",
          "ALTER TABLE events_by_arrival RENAME TO events",
          "CREATE UNIQUE INDEX events_by_agent_sequence ON events (agent_id, sequence)",
          "CREATE INDEX events_by_time ON events (time_us)",
      },
      // Version 7: the live detector's findings, one row per finding, the
      // whole Finding message in `finding`; replaced per host.
      {
          R"sql(CREATE TABLE findings (
                  host          TEXT NOT NULL,
                  rule          TEXT NOT NULL,
                  severity      INTEGER NOT NULL,
                  first_us      INTEGER NOT NULL,
                  last_us       INTEGER NOT NULL,
                  rules_digest  TEXT NOT NULL,
                  updated_us    INTEGER NOT NULL,
                  finding       BLOB NOT NULL))sql",
          "CREATE INDEX findings_by_host ON findings (host, first_us)",
          "CREATE INDEX findings_by_time ON findings (last_us)",
      },
      // Version 8: heartbeats folded into coverage segments
      // (coverage/coverage_segments.h), one row per run and clock hour; the
      // last heartbeat's interval and counters in `tail` (a Heartbeat). The
      // migration folds the heartbeats already stored (kFoldHeartbeatsVersion).
      {
          R"sql(CREATE TABLE coverage (
                  agent_id               TEXT NOT NULL,
                  start_us               INTEGER NOT NULL,
                  end_us                 INTEGER NOT NULL,
                  run_start_us           INTEGER NOT NULL,
                  heartbeats             INTEGER NOT NULL,
                  pcap_received          INTEGER NOT NULL,
                  pcap_dropped           INTEGER NOT NULL,
                  pcap_interface_dropped INTEGER NOT NULL,
                  interface_down         INTEGER NOT NULL,
                  tail                   BLOB NOT NULL))sql",
          "CREATE INDEX coverage_by_agent_end ON coverage (agent_id, end_us)",
          // Covering (everything but the tail): reading a window's segments
          // of the whole fleet touches the index alone.
          R"sql(CREATE INDEX coverage_by_end ON coverage (end_us, agent_id, start_us,
                  run_start_us, heartbeats, pcap_received, pcap_dropped,
                  pcap_interface_dropped, interface_down))sql",
          // Each agent's stored events, counted as they are stored (listing
          // the agents no longer counts the events table).
          "ALTER TABLE agents ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0",
          R"sql(UPDATE agents SET event_count =
                  (SELECT COUNT(*) FROM events WHERE events.agent_id = agents.agent_id))sql",
      },
      // Version 9: sweeps (`sweep`) and each asked agent's answer. The
      // request and the answer are kept whole (SweepRequest, SweepResult);
      // verdict is a SweepVerdict number, reasons one line each (\n).
      {
          R"sql(CREATE TABLE sweeps (
                  sweep_id   TEXT PRIMARY KEY,
                  issued_us  INTEGER NOT NULL,
                  expires_us INTEGER NOT NULL,
                  request    BLOB NOT NULL) WITHOUT ROWID)sql",
          "CREATE INDEX sweeps_by_issued ON sweeps (issued_us)",
          R"sql(CREATE TABLE sweep_agents (
                  sweep_id     TEXT NOT NULL,
                  agent_id     TEXT NOT NULL,
                  delivered_us INTEGER,
                  answered_us  INTEGER,
                  verdict      INTEGER NOT NULL DEFAULT 0,
                  reasons      TEXT NOT NULL DEFAULT '',
                  result       BLOB,
                  PRIMARY KEY (sweep_id, agent_id)) WITHOUT ROWID)sql",
          "CREATE INDEX sweep_agents_by_agent ON sweep_agents (agent_id, answered_us)",
      },
  };
  return *steps;
}

absl::StatusOr<int> ReadUserVersion(sqlite3* db) {
  Statement q(db, "PRAGMA user_version");
  RETURN_IF_ERROR(q.status());
  int version = 0;
  if (q.Step()) version = static_cast<int>(q.Int(0));
  RETURN_IF_ERROR(q.status());
  return version;
}

absl::Status Migrate(sqlite3* db, int from, int to) {
  const auto& steps = Migrations();
  for (int v = from; v < to && v < static_cast<int>(steps.size()); ++v) {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    for (const char* sql : steps[v]) RETURN_IF_ERROR(Exec(db, sql));
    if (v + 1 == kFoldHeartbeatsVersion) RETURN_IF_ERROR(FoldAllStoredHeartbeats(db));
    // user_version is part of the transaction: a failed step leaves it unchanged.
    RETURN_IF_ERROR(Exec(db, absl::StrCat("PRAGMA user_version = ", v + 1).c_str()));
    RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

}  // namespace cleansweep::collector::sqlite_internal

namespace cleansweep::collector {

int SqliteSchemaVersion() { return static_cast<int>(sqlite_internal::Migrations().size()); }

}  // namespace cleansweep::collector
