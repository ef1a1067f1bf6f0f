#include "collector/cli/addresses_command.h"
#include "collector/cli/cli_util.h"

#include <algorithm>
#include <iostream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "collector/cli/commands.h"
#include "collector/cli/format.h"
#include "collector/store/host_facts.h"
#include "collector/store/sqlite_event_store.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

std::string ShortTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? JsonQuote(FormatTimeUtc(*t)) : "null";
}

}  // namespace

std::string AddressTable(const std::vector<AddressRecord>& rows) {
  size_t host_w = 8, agent_w = 5, iface_w = 9, mac_w = 3;
  for (const AddressRecord& r : rows) {
    host_w = std::max(host_w, r.hostname.size());
    agent_w = std::max(agent_w, r.agent_id.size());
    iface_w = std::max(iface_w, r.interface.size());
    mac_w = std::max(mac_w, r.mac.size());
  }
  const int hw = static_cast<int>(host_w), aw = static_cast<int>(agent_w);
  const int iw = static_cast<int>(iface_w), mw = static_cast<int>(mac_w);
  std::string out =
      absl::StrFormat("%-20s  %-20s  %-20s  %-*s  %-*s  %-*s  %-*s  %s\n", "FROM", "LAST SEEN",
                      "UNTIL", hw, "HOSTNAME", aw, "AGENT", iw, "INTERFACE", mw, "MAC", "ADDRESS");
  for (const AddressRecord& r : rows) {
    absl::StrAppendFormat(&out, "%-20s  %-20s  %-20s  %-*s  %-*s  %-*s  %-*s  %s\n",
                          ShortTime(r.first_seen), ShortTime(r.last_seen),
                          r.valid_to ? ShortTime(*r.valid_to) : "held", hw,
                          r.hostname.empty() ? "-" : r.hostname, aw, r.agent_id, iw, r.interface,
                          mw, r.mac.empty() ? "-" : r.mac, r.address);
  }
  return out;
}

std::string AddressJsonLine(const AddressRecord& r) {
  return absl::StrCat("{\"address\":", JsonQuote(r.address), ",\"agentId\":", JsonQuote(r.agent_id),
                      ",\"hostname\":", JsonQuote(r.hostname),
                      ",\"interface\":", JsonQuote(r.interface), ",\"mac\":", JsonQuote(r.mac),
                      ",\"firstSeen\":", JsonQuote(FormatTimeUtc(r.first_seen)),
                      ",\"lastSeen\":", JsonQuote(FormatTimeUtc(r.last_seen)),
                      ",\"validTo\":", TimeOrNull(r.valid_to),
                      ",\"firstObserved\":", JsonQuote(FormatTimeUtc(r.first_observed)),
                      ",\"lastObserved\":", JsonQuote(FormatTimeUtc(r.last_observed)),
                      ",\"closedObserved\":", TimeOrNull(r.closed_observed), "}");
}

int RunAddresses(const AddressesConfig& config) {
  AddressHistoryFilter filter;
  if (!config.ip.empty()) {
    absl::StatusOr<std::string> ip = CanonicalIpAddress(config.ip);
    if (!ip.ok()) return Usage(absl::StrCat("--ip: ", ip.status().message()));
    filter.ip = *ip;
  }
  filter.host = config.host;
  if (!config.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseTimeFlag(config.at, absl::Now());
    if (!at.ok()) return Usage(absl::StrCat("--at: ", at.status().message()));
    filter.at = *at;
  }
  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<std::vector<AddressRecord>> rows = (*store)->ListAddressHistory(filter);
  if (!rows.ok()) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", rows.status().message()));
  }
  if (config.json) {
    for (const AddressRecord& r : *rows) std::cout << AddressJsonLine(r) << "\n";
  } else {
    std::cout << AddressTable(*rows);
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace cleansweep::collector
