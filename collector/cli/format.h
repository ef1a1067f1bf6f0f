// How the collector CLI shows stored events and agents: a text table for
// people, JSON lines for programs. Pure functions; thread-safe.
//
// JSON shapes (one object per line, protobuf JSON mapping for the event):
//   events: {"agentId":"ws1","receivedTime":"2026-11-27T10:00:00Z","event":{...}}
//   agents: {"agentId":"ws1","hostname":"...","version":"...","peer":"...",
//            "firstSeen":"...","lastSeen":"...","events":12,"ackedSequence":12,
//            "lostEvents":0,
//            "lastHeartbeat":{"time":"...","receivedTime":"...","pcapReceived":1,
//                             "pcapDropped":0,"pcapInterfaceDropped":0,
//                             "packets":1,"events":1}}   (lastHeartbeat omitted if none)
#ifndef CLEANSWEEP_COLLECTOR_CLI_FORMAT_H_
#define CLEANSWEEP_COLLECTOR_CLI_FORMAT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

// One line, e.g. "smtp 10.0.0.5:1234 → 1.2.3.4:25 from=a@b rcpt=3".
std::string EventSummary(const cleansweep::v1::Event& event);

// Header plus one row per event: TIME AGENT SEQ KIND SUMMARY.
std::string EventTable(const std::vector<StoredEvent>& events);
std::string EventJsonLine(const StoredEvent& event);

std::string AgentTable(const std::vector<AgentSummary>& agents);
std::string AgentJsonLine(const AgentSummary& agent);

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_FORMAT_H_
