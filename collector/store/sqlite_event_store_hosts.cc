// SqliteEventStore: the expected-host inventory, host facts and address history.
#include "collector/store/sqlite_event_store_internal.h"

#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "collector/store/host_facts.h"
#include "common/status_macros.h"

namespace cleansweep::collector::sqlite_internal {

absl::Status SqliteEventStore::ReplaceInventory(absl::Span<const InventoryHost> hosts,
                                                absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(Exec(db_, "DELETE FROM inventory"));
  Statement insert(db_,
                   "INSERT INTO inventory (hostname, mac, owner, imported_at) VALUES (?,?,?,?) "
                   "ON CONFLICT (hostname) DO NOTHING");
  RETURN_IF_ERROR(insert.status());
  const int64_t now_us = absl::ToUnixMicros(now);
  for (const InventoryHost& h : hosts) {
    if (h.hostname.empty()) {
      return absl::InvalidArgumentError("inventory host without a hostname");
    }
    insert.Reset();
    insert.Bind(1, h.hostname);
    insert.Bind(2, h.mac);
    insert.Bind(3, h.owner);
    insert.Bind(4, now_us);
    RETURN_IF_ERROR(insert.Run());
    if (sqlite3_changes(db_) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("hostname ", h.hostname, " appears twice in the inventory"));
    }
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<InventoryHost>> SqliteEventStore::ListInventory() {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_, "SELECT hostname, mac, owner, imported_at FROM inventory ORDER BY hostname");
  RETURN_IF_ERROR(q.status());
  std::vector<InventoryHost> out;
  while (q.Step()) {
    out.push_back({q.Text(0), q.Text(1), q.Text(2), absl::FromUnixMicros(q.Int(3))});
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

absl::Status SqliteEventStore::RecordHostFacts(absl::string_view agent_id,
                                               const cleansweep::v1::HostFacts& facts,
                                               absl::Time now) {
  ASSIGN_OR_RETURN(cleansweep::v1::HostFacts normal, NormalizeHostFacts(facts));
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  RETURN_IF_ERROR(ValidateAgentId(agent_id));
  const int64_t now_us = absl::ToUnixMicros(now);
  if (!normal.has_time()) SetTimestampMicros(now_us, normal.mutable_time());
  const int64_t observed_us = TimestampMicros(normal.time());
  std::string payload;
  if (!normal.SerializeToString(&payload)) {
    return absl::InvalidArgumentError("host facts cannot be serialized");
  }
  Transaction tx(db_);
  RETURN_IF_ERROR(tx.Begin());
  {
    Statement facts_row(db_,
                        "INSERT INTO host_facts (agent_id, hostname, os, kernel, observed_us, "
                        "received_us, payload) VALUES (?,?,?,?,?,?,?) ON CONFLICT (agent_id) "
                        "DO UPDATE SET hostname = excluded.hostname, os = excluded.os, "
                        "kernel = excluded.kernel, observed_us = excluded.observed_us, "
                        "received_us = excluded.received_us, payload = excluded.payload");
    RETURN_IF_ERROR(facts_row.status());
    facts_row.Bind(1, agent_id);
    facts_row.Bind(2, normal.hostname());
    facts_row.Bind(3, normal.os());
    facts_row.Bind(4, normal.kernel());
    facts_row.Bind(5, observed_us);
    facts_row.Bind(6, now_us);
    facts_row.BindBlob(7, payload);
    RETURN_IF_ERROR(facts_row.Run());
  }
  using Key = std::tuple<std::string, std::string, std::string>;  // interface, mac, address
  std::set<Key> reported;
  for (const auto& iface : normal.interfaces()) {
    for (const std::string& a : iface.addresses()) {
      reported.insert({iface.name(), iface.mac(), a});
    }
  }
  std::vector<std::pair<int64_t, Key>> open;
  {
    Statement q(db_,
                "SELECT rowid, interface, mac, address FROM address_history "
                "WHERE agent_id = ? AND valid_to_us IS NULL");
    RETURN_IF_ERROR(q.status());
    q.Bind(1, agent_id);
    while (q.Step()) open.push_back({q.Int(0), {q.Text(1), q.Text(2), q.Text(3)}});
    RETURN_IF_ERROR(q.status());
  }
  // A collector clock that stepped back must not end a period before it began.
  Statement keep(db_,
                 "UPDATE address_history SET last_seen_us = MAX(last_seen_us, ?), "
                 "last_observed_us = ? WHERE rowid = ?");
  RETURN_IF_ERROR(keep.status());
  Statement end(db_,
                "UPDATE address_history SET valid_to_us = MAX(last_seen_us, ?), "
                "closed_observed_us = ? WHERE rowid = ?");
  RETURN_IF_ERROR(end.status());
  for (const auto& [rowid, key] : open) {
    Statement& update = reported.erase(key) > 0 ? keep : end;
    update.Reset();
    update.Bind(1, now_us);
    update.Bind(2, observed_us);
    update.Bind(3, rowid);
    RETURN_IF_ERROR(update.Run());
  }
  Statement insert(db_,
                   "INSERT INTO address_history (agent_id, interface, mac, address, "
                   "first_seen_us, last_seen_us, valid_to_us, first_observed_us, "
                   "last_observed_us, closed_observed_us) VALUES (?,?,?,?,?,?,NULL,?,?,NULL)");
  RETURN_IF_ERROR(insert.status());
  for (const auto& [iface, mac, address] : reported) {
    insert.Reset();
    insert.Bind(1, agent_id);
    insert.Bind(2, iface);
    insert.Bind(3, mac);
    insert.Bind(4, address);
    insert.Bind(5, now_us);
    insert.Bind(6, now_us);
    insert.Bind(7, observed_us);
    insert.Bind(8, observed_us);
    RETURN_IF_ERROR(insert.Run());
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<StoredHostFacts>> SqliteEventStore::ListHostFacts() {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  Statement q(db_, "SELECT agent_id, received_us, payload FROM host_facts ORDER BY agent_id");
  RETURN_IF_ERROR(q.status());
  std::vector<StoredHostFacts> out;
  while (q.Step()) {
    StoredHostFacts f;
    f.agent_id = q.Text(0);
    f.received_time = absl::FromUnixMicros(q.Int(1));
    if (!f.facts.ParseFromString(q.Blob(2))) {
      return absl::DataLossError(absl::StrCat("stored host facts of agent ", f.agent_id,
                                              " do not parse; database ", path_, " is damaged"));
    }
    out.push_back(std::move(f));
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

absl::StatusOr<std::vector<AddressRecord>> SqliteEventStore::ListAddressHistory(
    const AddressHistoryFilter& filter) {
  std::string ip;
  if (!filter.ip.empty()) {
    absl::StatusOr<std::string> canonical = CanonicalIpAddress(filter.ip);
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("address filter: ", canonical.status().message()));
    }
    ip = *canonical;
  }
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckOpen());
  // The hostname the host itself reports wins over the Hello's.
  std::string sql = R"sql(
        SELECT h.agent_id, COALESCE(NULLIF(f.hostname, ''), a.hostname, ''), h.interface,
               h.mac, h.address, h.first_seen_us, h.last_seen_us, h.valid_to_us,
               h.first_observed_us, h.last_observed_us, h.closed_observed_us
        FROM address_history h
        LEFT JOIN agents a ON a.agent_id = h.agent_id
        LEFT JOIN host_facts f ON f.agent_id = h.agent_id
        WHERE 1)sql";
  if (!ip.empty()) sql += " AND h.address = ?";
  if (!filter.host.empty()) {
    sql +=
        " AND (h.agent_id = ? OR a.hostname = ? COLLATE NOCASE OR "
        "f.hostname = ? COLLATE NOCASE)";
  }
  if (filter.at) {
    sql += " AND h.first_seen_us <= ? AND (h.valid_to_us IS NULL OR h.valid_to_us > ?)";
  }
  sql += " ORDER BY h.first_seen_us, h.agent_id, h.interface, h.address, h.rowid";
  Statement q(db_, sql);
  RETURN_IF_ERROR(q.status());
  int i = 1;
  if (!ip.empty()) q.Bind(i++, ip);
  if (!filter.host.empty()) {
    for (int k = 0; k < 3; ++k) q.Bind(i++, filter.host);
  }
  if (filter.at) {
    q.Bind(i++, MicrosOrLimit(*filter.at));
    q.Bind(i++, MicrosOrLimit(*filter.at));
  }
  std::vector<AddressRecord> out;
  while (q.Step()) {
    AddressRecord r;
    r.agent_id = q.Text(0);
    r.hostname = q.Text(1);
    r.interface = q.Text(2);
    r.mac = q.Text(3);
    r.address = q.Text(4);
    r.first_seen = absl::FromUnixMicros(q.Int(5));
    r.last_seen = absl::FromUnixMicros(q.Int(6));
    if (!q.IsNull(7)) r.valid_to = absl::FromUnixMicros(q.Int(7));
    r.first_observed = absl::FromUnixMicros(q.Int(8));
    r.last_observed = absl::FromUnixMicros(q.Int(9));
    if (!q.IsNull(10)) r.closed_observed = absl::FromUnixMicros(q.Int(10));
    out.push_back(std::move(r));
  }
  RETURN_IF_ERROR(q.status());
  return out;
}

}  // namespace cleansweep::collector::sqlite_internal
