// The addresses subcommand: which host had an address when (the address
// history of EventStore::ListAddressHistory), read-only.
//
//   cleansweep-collector addresses --db FILE [--ip IP] [--host NAME] [--at T] [--json]
//
// Table columns: FROM LAST SEEN UNTIL HOSTNAME AGENT INTERFACE MAC ADDRESS
// (collector clock, UTC; UNTIL is "held" while the host still reports it).
// JSON (one object per line; absent times are null):
//   {"address":"10.0.0.7","agentId":"a1","hostname":"ws1","interface":"eth0",
//    "mac":"00:11:22:33:44:55","firstSeen":"...Z","lastSeen":"...Z",
//    "validTo":"...Z","firstObserved":"...Z","lastObserved":"...Z",
//    "closedObserved":"...Z"}
// *Seen / validTo are the collector's clock, *Observed the agent's.
#ifndef CLEANSWEEP_COLLECTOR_CLI_ADDRESSES_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_CLI_ADDRESSES_COMMAND_H_

#include <string>
#include <vector>

#include "collector/store/event_store.h"

namespace cleansweep::collector {

struct AddressesConfig {
  std::string db_path;
  std::string ip;    // "" = every address
  std::string host;  // "" = every host; an agent id or a hostname
  std::string at;    // ParseTimeFlag syntax; "" = any time
  bool json = false;
};
// Exit codes of commands.h: 0 ok (also when nothing matched), 1 runtime
// failure, 2 bad usage (an --ip that is not an address, a bad --at).
int RunAddresses(const AddressesConfig& config);

// Pure formatting; thread-safe.
std::string AddressTable(const std::vector<AddressRecord>& rows);
std::string AddressJsonLine(const AddressRecord& row);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_ADDRESSES_COMMAND_H_
